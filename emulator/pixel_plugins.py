"""pydicom's pixel plugins registered on first use instead of at import.

Importing pydicom registers every pixel decoder and encoder plugin, and registering one
imports it to ask whether it works: GDCM, pylibjpeg with its codecs, pyjpegls, and numpy
through them, ~40% of what importing pynetdicom costs. Nothing a C-ECHO or an
association needs. With :func:`hooks` installed (the process's entry point does it through
``emulator.deferred_imports``), the registrations made while ``pydicom.pixels`` is imported
are queued, and the first look at any decoder's or encoder's plugins (decoding, encoding,
``available_plugins``, ``add_plugin``...) runs them all, in pydicom's order, and rebuilds
the coders' docstrings, which pydicom writes from them.

pydicom internals this relies on, pinned by ``tests/unit/test_pixel_plugins.py`` (pyproject
pins pydicom's minor version):

- ``pydicom.pixels.common.CoderBase``: ``add_plugin(label, import_path)`` registers a plugin;
  ``__init__`` creates the instance dicts ``_available`` and ``_unavailable``, which every
  other method reads.
- Registration happens only while ``pydicom.pixels`` is imported (``decoders/base.py`` and
  ``encoders/base.py``), and nothing reads the dicts there but
  ``decoders.base._build_decoder_docstrings`` and ``encoders.base._build_encoder_docstrings``.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

COMMON = "pydicom.pixels.common"
PIXELS = "pydicom.pixels"
_DICTS = ("_available", "_unavailable")
_DOCSTRINGS = (
    ("pydicom.pixels.decoders.base", "_build_decoder_docstrings"),
    ("pydicom.pixels.encoders.base", "_build_encoder_docstrings"),
)


class _Registrations:
    """The queued registrations of one process, and whether they have run."""

    def __init__(self) -> None:
        self.queue: list[tuple[Any, str, tuple[str, str]]] = []
        self.pixels_imported = False
        self.started = False
        self.lock = threading.RLock()
        self.register: Callable[[Any, str, tuple[str, str]], None] | None = None

    def flush(self) -> None:
        """Run every queued registration (once; another thread waits for it)."""
        with self.lock:
            if self.started:  # done, or this thread is running them (a dict read)
                return
            self.started = True
            assert self.register is not None
            for coder, label, import_path in self.queue:
                self.register(coder, label, import_path)
            self.queue.clear()
            for module, builder in _DOCSTRINGS:
                getattr(sys.modules[module], builder)()

    def settled(self) -> bool:
        return self.started and not self.queue


def _patch(common: ModuleType, registrations: _Registrations) -> None:
    coder_base = common.CoderBase
    register = coder_base.add_plugin
    registrations.register = register

    def add_plugin(self: Any, label: str, import_path: tuple[str, str]) -> None:
        if not registrations.pixels_imported:
            registrations.queue.append((self, label, import_path))
            return
        registrations.flush()
        register(self, label, import_path)

    add_plugin.__doc__ = register.__doc__
    coder_base.add_plugin = add_plugin
    for name in _DICTS:
        setattr(coder_base, name, _registered_dict(name, registrations))


def _registered_dict(name: str, registrations: _Registrations) -> property:
    def read(self: Any) -> Any:
        if registrations.pixels_imported and not registrations.settled():
            registrations.flush()
        return self.__dict__[name]

    def write(self: Any, value: Any) -> None:
        self.__dict__[name] = value

    return property(read, write)


def hooks() -> dict[str, Callable[[ModuleType], None]]:
    """The hooks to run after ``pydicom.pixels.common`` and after ``pydicom.pixels``."""
    registrations = _Registrations()

    def imported(_: ModuleType) -> None:
        registrations.pixels_imported = True

    return {COMMON: lambda module: _patch(module, registrations), PIXELS: imported}
