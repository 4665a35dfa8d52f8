"""One C-MOVE or C-GET request as the archive decides it (PS3.4 C.4.2, C.4.3).

A :class:`RetrieveSession` plans the request (what matches, how many), keeps the
sub-operation counts, says how the request ends (its final status, or why it stopped early)
and writes its journal record and log line. It knows nothing of the wire: the DICOM responder
(``emulator/dicom/retrieve_scp.py``) decodes the request, runs the scenario's rules and the
sub-operations, and sends each :class:`Answer` it is given.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pydicom.dataset import Dataset

from emulator.errors import (
    CANCEL,
    RETRIEVE_OUT_OF_RESOURCES_MATCHES,
    RETRIEVE_OUT_OF_RESOURCES_SUBOPS,
    RETRIEVE_SOME_FAILED,
    SUCCESS,
    is_expected,
    status_for,
)
from emulator.journal import MessageRecord
from emulator.logfmt import kv
from emulator.services.context import ServiceContext
from storage import Model, parse_retrieve
from storage.query import Query

log = logging.getLogger("emulator.dicom")

MAX_SUBOPERATIONS = 65535  # the counts are US (PS3.7 C.4.2.1.x)


@dataclass(slots=True)
class Counts:
    """Sub-operation counts (PS3.4 C.4.2.1.6-9) and the failed SOP Instance UIDs."""

    remaining: int
    total: int = 0
    completed: int = 0
    failed: int = 0
    warning: int = 0
    failed_uids: list[str] = field(default_factory=list)

    def record(self, outcome: str, sop_instance_uid: str) -> None:
        """One sub-operation's outcome: "completed", "warning" or "failed"."""
        self.remaining -= 1
        if outcome == "failed":
            self.failed += 1
            self.failed_uids.append(sop_instance_uid)
        elif outcome == "warning":
            self.warning += 1
        else:
            self.completed += 1

    @property
    def number(self) -> int:
        """The number (from 1) of the next sub-operation."""
        return self.total - self.remaining + 1

    def as_dict(self) -> dict[str, int]:
        return {
            "completed": self.completed,
            "failed": self.failed,
            "warning": self.warning,
            "remaining": self.remaining,
        }


@dataclass(frozen=True, slots=True)
class Answer:
    """How a request ends: the final response to send (*status* None: none, the association
    is gone) with the counts or not, and what the journal notes."""

    status: int | None
    with_counts: bool = True
    comment: str = ""
    offending: int | None = None
    failed_uids: list[str] | None = None
    outcome: str = "ok"  # the journal's outcome
    detail: str = ""
    respond: bool = True  # False: the requestor is not answered (it went away)
    extra: dict[str, Any] = field(default_factory=dict)


class RetrieveSession:
    """One C-MOVE or C-GET request, journaled in *record*."""

    def __init__(self, ctx: ServiceContext, record: MessageRecord) -> None:
        self.ctx, self.record = ctx, record
        self.service = record.service
        self.counts = Counts(0)

    def plan(self, identifier: Dataset, model: Model) -> tuple[Query, int]:
        """The query of the matches and their number; raises for a bad identifier (an
        ``InvalidIdentifier``, answered by :meth:`failed`)."""
        request = parse_retrieve(identifier, model)
        total = self.ctx.index.count(request.query)
        self.ctx.journal.update(
            self.record, matches=total, extra={"model": model.value, "level": request.level.name}
        )
        return request.query, total

    def failed(self, exc: Exception) -> Answer:
        """The request cannot be served (*exc*: a bad identifier, an unknown destination, a
        storage error, or a bug, which is logged with its traceback)."""
        status = status_for(self.service, exc)
        internal = not is_expected(exc)
        if internal:
            log.exception("internal error in %s", self.service)
        outcome = "error" if internal else "failure"
        return Answer(
            status,
            with_counts=False,
            comment=str(exc),
            offending=getattr(exc, "tag", None),
            outcome=outcome,
            detail=str(exc),
        )

    def too_many(self, total: int) -> Answer | None:
        """0xA701 when *total* sub-operations cannot be counted in a response."""
        if total <= MAX_SUBOPERATIONS:
            return None
        comment = f"{total} matches: at most {MAX_SUBOPERATIONS} per request"
        return Answer(
            RETRIEVE_OUT_OF_RESOURCES_MATCHES,
            with_counts=False,
            comment=comment,
            outcome="failure",
            detail=comment,
        )

    def start(self, total: int) -> Counts:
        """The counts of *total* sub-operations to come."""
        self.counts = Counts(total, total)
        return self.counts

    def unable(self, comment: str) -> Answer:
        """Not one sub-operation could be performed (the destination refused): all failed
        (PS3.4 C.4.2.1.5)."""
        counts = self.counts
        counts.failed, counts.remaining = counts.remaining, 0
        return Answer(
            RETRIEVE_OUT_OF_RESOURCES_SUBOPS, comment=comment, outcome="failure", detail=comment
        )

    def cancelled(self) -> Answer:
        """A C-CANCEL arrived: sub-operations terminated (PS3.4 C.4.2.1.4)."""
        return Answer(CANCEL, failed_uids=self.counts.failed_uids or None, outcome="cancelled")

    def requestor_gone(self) -> Answer:
        return Answer(CANCEL, outcome="cancelled", detail="requestor went away", respond=False)

    def no_destination(self, exc: Exception, destination: str) -> Answer:
        """The C-MOVE destination is unknown (0xA801, PS3.4 C.4.2.1.4)."""
        status = status_for(self.service, exc)
        return Answer(
            status,
            with_counts=False,
            comment=str(exc),
            outcome="failure",
            detail=str(exc),
            extra={"destination": destination},
        )

    def faulted(self, status: int | None, comment: str, started: bool = True) -> Answer:
        """A scenario's rule ended the request with *status* (None: with the association);
        *started*: after the sub-operations were counted."""
        if status is None:
            return Answer(
                None,
                with_counts=started,
                outcome="fault",
                detail="association ended by the scenario",
                respond=False,
            )
        failed = self.counts.failed_uids if started and status != SUCCESS else None
        return Answer(
            status,
            with_counts=started,
            comment=comment,
            failed_uids=failed or None,
            outcome="fault",
            detail=comment or "answered by the scenario",
        )

    def final(self) -> Answer:
        """After the last sub-operation (PS3.4 C.4.2.1.5): Success, Warning 0xB000 or
        Failure 0xA702."""
        counts = self.counts
        if not counts.failed and not counts.warning:
            return Answer(SUCCESS)
        status = (
            RETRIEVE_OUT_OF_RESOURCES_SUBOPS
            if counts.completed + counts.warning == 0
            else RETRIEVE_SOME_FAILED
        )
        done = counts.failed + counts.completed + counts.warning
        comment = f"{counts.failed} of {done} sub-operations failed" if counts.failed else ""
        return Answer(
            status,
            comment=comment,
            failed_uids=counts.failed_uids or None,
            outcome="failure" if counts.failed else "ok",
            detail=comment,
        )

    def finish(self, answer: Answer) -> None:
        """Close the journal record as *answer* says, with one log line."""
        extra = dict(answer.extra)
        if answer.with_counts:
            extra.update(self.counts.as_dict())
        self.ctx.journal.finish(
            self.record,
            answer.status,
            outcome=answer.outcome,  # type: ignore[arg-type]
            detail=answer.detail,
            extra=extra,
        )
        log.info(kv_line(self.record, answer.status))


def kv_line(record: MessageRecord, status: int | None) -> str:
    e = record.extra
    return kv(
        assoc=record.association,
        msg=record.message_id,
        service=record.service,
        level=e.get("level"),
        destination=e.get("destination"),
        status=status,
        matches=record.matches,
        completed=e.get("completed"),
        failed=e.get("failed"),
        ms=record.ms,
        outcome=None if record.outcome == "ok" else record.outcome,
        detail=record.detail or None,
        fault=",".join(record.faults) or None,
    )
