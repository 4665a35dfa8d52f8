"""Group commit: callers that arrive while a transaction commits share the next one.

The first caller becomes the writer and commits, in one transaction, every item that arrived
meanwhile; the others wait for that commit. Alone, a caller commits at once. Every caller
returns only once its own item is committed (or failed), so nothing is acknowledged before
it is durable. Knows nothing of SQL: the owner passes the function that commits a batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Pending(Generic[Item, Result]):
    """One caller's item, waiting in a batch."""

    __slots__ = ("done", "error", "item", "result")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.result: Result | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()

    def finish(self, result: Result | None = None, error: BaseException | None = None) -> None:
        self.result, self.error = result, error
        self.done.set()


class GroupCommit(Generic[Item, Result]):
    """Runs *commit* on batches of submitted items; *commit* must finish every
    :class:`Pending` it is given (a result or an error each)."""

    def __init__(self, commit: Callable[[list[Pending[Item, Result]]], None]) -> None:
        self._commit = commit
        self._batch: list[Pending[Item, Result]] = []
        self._lock = threading.Condition()
        self._writing = False

    def submit(self, item: Item) -> Result | None:
        """Commit *item* (alone or with others) and return its result; raises its error."""
        entry: Pending[Item, Result] = Pending(item)
        with self._lock:
            self._batch.append(entry)
            while not entry.done.is_set() and self._writing:
                self._lock.wait()
            if not entry.done.is_set():
                self._writing = True
        if not entry.done.is_set():
            self._write()
        if entry.error is not None:
            raise entry.error
        return entry.result

    def _write(self) -> None:
        """As the writer: commit batches until nobody waits."""
        batch: list[Pending[Item, Result]] = []
        try:
            while True:
                with self._lock:
                    batch, self._batch = self._batch, []
                    if not batch:
                        self._writing = False
                        self._lock.notify_all()
                        return
                self._commit(batch)
                with self._lock:
                    self._lock.notify_all()
        except BaseException as exc:  # never leave a waiting caller without an answer
            for entry in batch:
                if not entry.done.is_set():
                    entry.finish(error=exc)
            with self._lock:
                self._writing = False
                self._lock.notify_all()
            raise
