"""Group commit: callers that arrive while a transaction commits share the next one.

The first caller becomes the writer and commits its own item with every item that arrived
before it took them; callers that arrive during that commit wait, and when it ends the first
of them becomes the next writer, for all of them. So a caller waits for at most the commit in
progress and its own: the writer's role passes on after each commit, it never keeps one
caller committing for others while load lasts (that held one C-STORE for seconds under 50
busy associations). Every caller returns only once its own item is committed (or failed), so
nothing is acknowledged before it is durable. Knows nothing of SQL: the owner passes the
function that commits a batch.

Each waiting caller sleeps on a wake-up of its own, set once: when its item is done, or when
it is to write the next batch. With one condition for all, every commit woke every waiting
caller to look whether its item was done, and 50 busy associations then queued for that
condition's lock after each commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Pending(Generic[Item, Result]):
    """One caller's item, waiting in a batch."""

    __slots__ = ("_wake", "done", "error", "item", "result")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.result: Result | None = None
        self.error: BaseException | None = None
        self.done = False
        self._wake = threading.Lock()  # held until the caller is to wake up
        self._wake.acquire()

    def finish(self, result: Result | None = None, error: BaseException | None = None) -> None:
        """Record the item's outcome (its caller wakes once the whole batch is finished)."""
        self.result, self.error = result, error
        self.done = True


class GroupCommit(Generic[Item, Result]):
    """Runs *commit* on batches of submitted items; *commit* must finish every
    :class:`Pending` it is given (a result or an error each)."""

    def __init__(self, commit: Callable[[list[Pending[Item, Result]]], None]) -> None:
        self._commit = commit
        self._batch: list[Pending[Item, Result]] = []
        self._lock = threading.Lock()
        self._writing = False

    def submit(self, item: Item) -> Result | None:
        """Commit *item* (alone or with others) and return its result; raises its error."""
        entry: Pending[Item, Result] = Pending(item)
        with self._lock:
            self._batch.append(entry)
            lead = not self._writing
            self._writing = True
        if not lead:
            entry._wake.acquire()  # done, or handed the writer's role
        if not entry.done:
            with self._lock:
                batch, self._batch = self._batch, []
            self._write(batch)
        if entry.error is not None:
            raise entry.error
        return entry.result

    def _write(self, batch: list[Pending[Item, Result]]) -> None:
        """As the writer: commit *batch* (this caller's item among them), wake its callers,
        then hand the role to the first caller that arrived meanwhile, if any."""
        try:
            self._commit(batch)
        except BaseException as exc:  # never leave a waiting caller without an answer
            for entry in batch:
                if not entry.done:
                    entry.finish(error=exc)
        finally:
            for entry in batch:
                if not entry.done:  # a commit function that forgot one: an error, not a hang
                    entry.finish(error=RuntimeError("the commit left this item unfinished"))
                entry._wake.release()
            with self._lock:
                if self._batch:
                    self._batch[0]._wake.release()  # the next writer (its item not done)
                else:
                    self._writing = False
