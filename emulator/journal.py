"""RequestJournal: what clients did, one record per association and per DIMSE message.

Thread-safe and bounded. Tests assert on it rather than parsing logs; the admin API serves it.
An ``outcome="error"`` record means the emulator itself failed (a bug): the test fixture fails a
test that leaves one behind.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any, Protocol

from emulator.journal_records import (
    AssociationRecord,
    EncodedRecord,
    HttpRecord,
    MessageOutcome,
    MessageRecord,
    Record,
    encoded,
)

__all__ = [
    "AssociationRecord",
    "HttpRecord",
    "MessageOutcome",
    "MessageRecord",
    "Record",
    "RequestJournal",
    "Sink",
    "matches",
]

log = logging.getLogger("emulator.journal")

GLOB_FIELDS = frozenset(
    {"calling_ae", "called_ae", "peer", "service", "sop_class", "sop_instance", "path"}
)
PATTERN_FIELDS = {
    "message": GLOB_FIELDS - {"called_ae", "peer", "path"}
    | {"status", "outcome", "association", "message_id", "fault"},
    "association": {"calling_ae", "called_ae", "peer", "outcome", "fault"},
    "http": {"method", "path", "service", "peer", "status", "outcome", "fault"},
}


def matches(record: Record, pattern: Mapping[str, Any]) -> bool:
    """True if *record* has every field of *pattern*: globs for AE titles, peers, services
    and UIDs; ``fault`` is a rule id (or ``rule:action``) among those that fired; the rest
    equal (``status`` an int)."""
    for key, wanted in pattern.items():
        if key == "fault":
            if not any(f == wanted or f.split(":")[0] == wanted for f in record.faults):
                return False
        elif key in GLOB_FIELDS:
            if not fnmatchcase(str(getattr(record, key, "")), str(wanted)):
                return False
        elif getattr(record, key, None) != wanted:
            return False
    return True


class Sink(Protocol):
    """Where the journal persists its records (``storage.journal_store.JournalStore``)."""

    def write(self, records: Iterable[EncodedRecord]) -> None: ...
    def get(self, record_id: int) -> dict[str, Any] | None: ...
    def last_id(self) -> int: ...
    def clear(self) -> None: ...


FLUSH_INTERVAL = 0.5  # seconds between writes of changed records to the sink


def _snapshot(record: Record, tries: int = 20) -> EncodedRecord:
    """*record* encoded, while a service thread may still be updating its ``extra`` or
    ``faults`` in place (an encoding that meets a change in flight is simply made again)."""
    for _ in range(tries - 1):
        try:
            return encoded(record)
        except RuntimeError:  # "dictionary changed size during iteration"
            continue
    return encoded(record)


class RequestJournal:
    """Bounded, lock-guarded records of associations and messages, each of the newest
    *max_entries* kept in memory for queries; with a sink attached every record is also
    written there, in the background, and stays readable by id."""

    def __init__(self, max_entries: int = 10000) -> None:
        # Requests take no lock: each of their steps is one operation of a C type that the
        # GIL makes atomic (itertools.count's next, deque.append, an attribute set), and the
        # record is marked changed after it is changed. Under 50 busy associations a lock
        # that every request took four times held C-STOREs for most of their time: its
        # holder, preempted inside it, had the others queue behind it (bench/load.py).
        # The lock is for waking wait_for and for clear().
        self._lock = threading.Condition(threading.Lock())
        self._changes = 0  # for wait_for: a poller sees it move (an increment may be shared)
        self._waiting = 0  # wait_for callers, counted under the lock
        self._associations: deque[AssociationRecord] = deque(maxlen=max_entries)
        self._messages: deque[MessageRecord] = deque(maxlen=max_entries)
        self._http: deque[HttpRecord] = deque(maxlen=max_entries)
        self._ids = itertools.count(1)
        self._after = 0  # the id the numbering started after
        self._dirty: deque[Record] = deque()  # changed since the last flush, oldest first
        self._flushing = threading.Lock()  # taken by flushes only
        self._sink: Sink | None = None
        self._flusher: threading.Thread | None = None
        self._stop = threading.Event()

    def start_after(self, last_id: int) -> None:
        """Number records after *last_id* (the newest in the sink that :meth:`attach` will
        get), before it is attached: records made meanwhile keep their ids when it is."""
        with self._lock:
            self._ids = itertools.count(last_id + 1)
            self._after = last_id

    def attach(self, sink: Sink) -> None:
        """Persist to *sink* from now on; ids continue after the last one it holds."""
        self._sink = sink
        with self._lock:
            last = sink.last_id()
            if last != self._after:  # else numbered after it already: records keep their ids
                self._ids = itertools.count(last + 1)
                self._after = last
        self._stop.clear()
        self._flusher = threading.Thread(target=self._flush_loop, name="journal", daemon=True)
        self._flusher.start()

    def detach(self) -> None:
        """Write what is left and stop persisting (the emulator stops)."""
        self._stop.set()
        if self._flusher is not None:
            self._flusher.join(timeout=10)
            self._flusher = None
        self.flush()
        self._sink = None

    def flush(self) -> None:
        """Write the records changed since the last flush to the sink. A batch that cannot
        be written stays dirty for the next flush: nothing is dropped.

        No lock is held: a copy may therefore catch a record between two of its changes; the
        later change marks it changed again, so the next flush writes it as it ended. Flushes
        run one at a time, so a later copy is never overwritten by an earlier one."""
        with self._flushing:
            self._flush()

    def _flush(self) -> None:
        dirty: dict[int, Record] = {}
        while True:  # what was marked meanwhile is taken now or at the next flush
            try:
                record = self._dirty.popleft()
            except IndexError:
                break
            dirty[record.id] = record
        if self._sink is None or not dirty:
            return
        rows = [_snapshot(record) for record in dirty.values()]
        try:
            self._sink.write(rows)
        except Exception as exc:  # the journal must never break the DICOM side
            log.warning(
                "could not persist %d journal records (kept for the next try): %s", len(rows), exc
            )
            self._dirty.extend(dirty.values())

    def _flush_loop(self) -> None:
        while not self._stop.wait(FLUSH_INTERVAL):
            self.flush()

    def _touch(self, record: Record) -> None:
        """Mark *record* changed, once its change is made: the flush that takes the mark
        copies the record as it is then."""
        if self._sink is not None:
            self._dirty.append(record)

    def open_association(self, peer: str) -> AssociationRecord:
        record = AssociationRecord(id=next(self._ids), peer=peer, started=time.time())
        self._associations.append(record)
        self._touch(record)
        self._changed()
        return record

    def open_http(self, **fields: Any) -> HttpRecord:
        """A new record of a DICOMweb request (method, path, query, accept, service, peer)."""
        record = HttpRecord(id=next(self._ids), started=time.time(), **fields)
        self._http.append(record)
        self._touch(record)
        self._changed()
        return record

    def start_message(
        self, association: AssociationRecord | None, message_id: int, service: str, **fields: Any
    ) -> MessageRecord:
        record = MessageRecord(
            id=next(self._ids),
            association=association.id if association else 0,
            message_id=message_id,
            service=service,
            calling_ae=association.calling_ae if association else "",
            started=time.time(),
            **fields,
        )
        if association:  # only the association's own thread starts its messages
            association.messages += 1
        self._messages.append(record)
        self._touch(record)
        return record

    def finish(
        self,
        record: MessageRecord,
        status: int | None,
        outcome: MessageOutcome = "ok",
        **fields: Any,
    ) -> MessageRecord:
        record.status = status
        record.outcome = outcome
        record.ms = (time.monotonic() - record.clock) * 1000
        for key, value in fields.items():
            if key == "extra":
                record.extra.update(value)
            else:
                setattr(record, key, value)
        self._touch(record)
        self._changed()
        return record

    def update(
        self,
        record: Record,
        extra: Mapping[str, Any] | None = None,
        fault: str | None = None,
        **fields: Any,
    ) -> None:
        """Change *record*: set *fields*, merge *extra* into a message's ``extra``, note a
        rule that fired; then mark it changed."""
        for key, value in fields.items():
            setattr(record, key, value)
        if extra and isinstance(record, MessageRecord):
            record.extra.update(extra)
        if fault is not None:
            record.faults.append(fault)
        self._touch(record)
        self._changed()

    def changed(self, record: Record | None = None) -> None:
        """Note that *record* was updated in place; wake waiters."""
        if record is not None:
            self._touch(record)
        self._changed()

    def messages(self, **match: Any) -> list[MessageRecord]:
        """Message records whose fields equal every *match* value (``status`` as an int)."""
        held = list(self._messages)  # a copy made in one C call: no append comes between
        return [m for m in held if all(getattr(m, k) == v for k, v in match.items())]

    def associations(self, **match: Any) -> list[AssociationRecord]:
        held = list(self._associations)
        return [a for a in held if all(getattr(a, k) == v for k, v in match.items())]

    def select(self, kind: str, pattern: Mapping[str, Any], after: int = 0) -> list[Record]:
        """The records of *kind* (``message``, ``association`` or ``http``) that match
        *pattern* (see :func:`matches`), oldest first; only those with an id above *after*
        (looked for from the newest back, so a live follower pays for what is new only)."""
        kinds: dict[str, deque[Any]] = {
            "message": self._messages,
            "association": self._associations,
            "http": self._http,
        }
        held: list[Record] = list(kinds[kind])  # a copy made in one C call
        if after:
            newer = list(itertools.takewhile(lambda r: r.id > after, reversed(held)))
            records: list[Record] = newer[::-1]
        else:
            records = held
        return [record for record in records if matches(record, pattern)]

    def get(self, record_id: int) -> dict[str, Any] | None:
        """The message or association record with *record_id* (from the sink once it is
        past the cap), as a dict."""
        records: list[Record] = [*self._messages, *self._associations, *self._http]
        found = next((record for record in records if record.id == record_id), None)
        if found is not None:
            return found.as_dict()
        return self._sink.get(record_id) if self._sink is not None else None

    @property
    def changes(self) -> int:
        """How many times a record changed so far (a cheap "anything new?" for pollers)."""
        return self._changes

    def _changed(self) -> None:
        """A record changed: move the count, wake wait_for callers if there are any (each
        counts itself before it looks at the count, so none sleeps through this change)."""
        self._changes += 1
        if self._waiting:
            with self._lock:
                self._lock.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Block until *predicate* holds (re-checked on every journal change) or *timeout*.
        The predicate runs outside the lock, so it may read the journal."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._waiting += 1
        try:
            while True:
                seen = self._changes
                if predicate():
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                with self._lock:
                    if self._changes == seen:  # nothing changed since the predicate looked
                        self._lock.wait(min(remaining, 0.05))
        finally:
            with self._lock:
                self._waiting -= 1

    def internal_errors(self) -> list[MessageRecord]:
        return self.messages(outcome="error")

    def assert_no_internal_errors(self) -> None:
        errors = self.internal_errors()
        if errors:
            lines = "\n".join(f"  {e.service} msg={e.message_id}: {e.detail}" for e in errors)
            raise AssertionError(f"the emulator failed internally:\n{lines}")

    def clear(self) -> None:
        with self._lock:
            self._associations.clear()
            self._messages.clear()
            self._http.clear()
            self._dirty.clear()
            if self._sink is not None:
                self._sink.clear()
