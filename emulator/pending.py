"""Values that a later step of the start provides, read by threads that may come first.

``serve`` listens for DICOM before the archive is open: an association made in that moment
gets its C-ECHO answered at once, and a request that needs the archive waits for it. The
service context it runs with holds a :class:`Pending` where the index, the file store and the
instance source will be: reading any attribute of one waits until :meth:`Provision.provide`
has run, then forwards to the real object (or raises :class:`NotStarted` if the start failed).
"""

from __future__ import annotations

import threading
from typing import Any

from storage.errors import StorageError


class NotStarted(StorageError):
    """The start failed before providing what a request needed: the archive never opened,
    answered as its storage failing (out of resources, one log line)."""


class Provision:
    """Objects provided at once, later; waited for by their :class:`Pending` stand-ins."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._values: dict[str, Any] = {}
        self._failure: str | None = None

    def pending(self, name: str) -> Pending:
        """A stand-in for the object :meth:`provide` will give as *name*."""
        return Pending(self, name)

    def provide(self, **values: Any) -> None:
        """Give the objects and wake every reader."""
        self._values.update(values)
        self._ready.set()

    def fail(self, why: str) -> None:
        """The start failed: readers waiting, and any later, get :class:`NotStarted`."""
        if not self._ready.is_set():
            self._failure = why
            self._ready.set()

    def get(self, name: str) -> Any:
        self._ready.wait()
        if self._failure is not None:
            raise NotStarted(f"the emulator did not start: {self._failure}")
        return self._values[name]


class Pending:
    """Stands in for an object a :class:`Provision` gives later (see the module doc)."""

    __slots__ = ("_name", "_provision")

    def __init__(self, provision: Provision, name: str) -> None:
        self._provision = provision
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._provision.get(self._name), attribute)

    def __repr__(self) -> str:
        return f"<pending {self._name}>"
