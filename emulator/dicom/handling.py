"""What every DIMSE handler does around its service: open the request's journal record, ask
the scenario, and close the record with one log line, answering an error with the service's
status (the DIMSE surface's one error boundary, :func:`failure`)."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from pydicom.dataset import Dataset
from pydicom.uid import UID
from pynetdicom.events import Event

from emulator.dicom.faults import PROCEED, Faults, Verdict, association_event
from emulator.dicom.notifications import AssociationTracker
from emulator.errors import is_expected, status_dataset, status_for
from emulator.journal import MessageRecord
from emulator.logfmt import kv
from emulator.services.context import ServiceContext

log = logging.getLogger("emulator.dicom")


@lru_cache(maxsize=1024)
def sop_name(uid: str) -> str:
    """A SOP class's keyword for the log (its UID if it has none)."""
    return UID(uid).keyword or uid if uid else ""


def begin(
    event: Event, ctx: ServiceContext, tracker: AssociationTracker, service: str, **fields: Any
) -> MessageRecord:
    return ctx.journal.start_message(tracker.get(event.assoc), event.message_id, service, **fields)


def finish(ctx: ServiceContext, record: MessageRecord, status: int | None, **fields: Any) -> None:
    ctx.journal.finish(record, status, **fields)
    log.info(
        kv(
            assoc=record.association,
            msg=record.message_id,
            service=record.service,
            sop_class=sop_name(record.sop_class) or None,
            status=status,
            matches=record.matches,
            ms=record.ms,
            outcome=None if record.outcome == "ok" else record.outcome,
            detail=record.detail or None,
            fault=",".join(record.faults) or None,
        )
    )


def decide(
    event: Event, ctx: ServiceContext, record: MessageRecord, phase: str = "request", **fields: Any
) -> Verdict:
    """The scenario's decision for this request (or one of its responses), done."""
    if ctx.scenario.engine is None:
        return PROCEED
    scenario_event = association_event(
        event.assoc,
        phase,
        record.association,
        service=record.service,
        request=record.id,
        sop_class=record.sop_class,
        transfer_syntax=str(event.context.transfer_syntax),
        **fields,
    )
    return Faults.of(ctx).act(event.assoc, scenario_event, record)


def faulted(ctx: ServiceContext, record: MessageRecord, verdict: Verdict) -> Dataset:
    """Journal a request that a rule answered or ended; the status to respond with."""
    answer = verdict.answer
    how = "answered by the scenario" if answer is not None else "association ended by the scenario"
    finish(
        ctx,
        record,
        int(answer.Status) if answer is not None else None,
        outcome="fault",
        detail=how,
    )
    # an ended association sends nothing; pynetdicom still wants a status to drop
    return answer if answer is not None else status_dataset(0xC000, how)


def failure(
    ctx: ServiceContext, record: MessageRecord, service: str, exc: BaseException
) -> Dataset:
    """The one error boundary: log, journal and answer *exc* with the service's status."""
    status = status_for(service, exc)
    expected = is_expected(exc)
    if not expected:
        log.exception("internal error in %s (assoc=%s)", service, record.association)
    finish(ctx, record, status, outcome="failure" if expected else "error", detail=str(exc))
    return status_dataset(status, str(exc), getattr(exc, "tag", None))
