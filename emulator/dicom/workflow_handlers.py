"""DIMSE-N handlers: Modality Performed Procedure Step (N-CREATE, N-SET; PS3.4 F.7) and
Storage Commitment (N-ACTION; PS3.4 J.3). Thin adapters, as ``handlers.py``'s."""

from __future__ import annotations

from typing import cast

from pydicom.dataset import Dataset
from pynetdicom.dimse_primitives import N_ACTION, N_CREATE
from pynetdicom.events import Event

from emulator.dicom import commitment_scu
from emulator.dicom.handling import begin, decide, failure, faulted, finish
from emulator.dicom.notifications import AssociationTracker
from emulator.errors import SUCCESS
from emulator.journal import MessageRecord
from emulator.scenario.attributes import LazySummary
from emulator.services import commitment, mpps
from emulator.services.context import ServiceContext


def begin_n(
    event: Event, ctx: ServiceContext, tracker: AssociationTracker, service: str
) -> MessageRecord:
    """The journal record of a DIMSE-N request, with its SOP class and instance (Affected
    in N-CREATE, Requested in N-SET and N-ACTION)."""
    req = event.request
    sop_class = getattr(req, "AffectedSOPClassUID", None) or getattr(
        req, "RequestedSOPClassUID", None
    )
    sop_instance = getattr(req, "AffectedSOPInstanceUID", None) or getattr(
        req, "RequestedSOPInstanceUID", None
    )
    return begin(
        event,
        ctx,
        tracker,
        service,
        sop_class=str(sop_class or ""),
        sop_instance=str(sop_instance or ""),
    )


def handle_n_create(
    event: Event, ctx: ServiceContext, tracker: AssociationTracker
) -> tuple[int | Dataset, Dataset | None]:
    """MPPS N-CREATE (PS3.4 F.7.2.1): a new step IN PROGRESS, or the refusal's status."""
    req = cast(N_CREATE, event.request)
    record = begin_n(event, ctx, tracker, "N-CREATE")
    verdict = decide(event, ctx, record, dataset=LazySummary(lambda: event.attribute_list))
    if verdict.answer is not None or verdict.ended:
        return faulted(ctx, record, verdict), None
    try:
        uid, step = mpps.create(
            record.sop_instance, event.attribute_list, event.assoc.requestor.ae_title, ctx
        )
    except Exception as exc:
        return failure(ctx, record, "N-CREATE", exc), None
    finish(ctx, record, SUCCESS, sop_instance=uid, extra={"mpps_status": step.status})
    reply = Dataset()
    if not req.AffectedSOPInstanceUID:  # pynetdicom moves it into the N-CREATE-RSP
        reply.AffectedSOPInstanceUID = uid
    return SUCCESS, reply


def handle_n_set(
    event: Event, ctx: ServiceContext, tracker: AssociationTracker
) -> tuple[int | Dataset, Dataset | None]:
    """MPPS N-SET (PS3.4 F.7.2.2): update or end a step IN PROGRESS."""
    record = begin_n(event, ctx, tracker, "N-SET")
    verdict = decide(event, ctx, record, dataset=LazySummary(lambda: event.modification_list))
    if verdict.answer is not None or verdict.ended:
        return faulted(ctx, record, verdict), None
    try:
        step = mpps.update(record.sop_instance, event.modification_list, ctx)
    except Exception as exc:
        return failure(ctx, record, "N-SET", exc), None
    finish(ctx, record, SUCCESS, extra={"mpps_status": step.status})
    return SUCCESS, event.modification_list


def handle_n_action(
    event: Event, ctx: ServiceContext, tracker: AssociationTracker
) -> tuple[int | Dataset, Dataset | None]:
    """Storage Commitment N-ACTION (PS3.4 J.3.2): answer now, report in the background."""
    req = cast(N_ACTION, event.request)
    record = begin_n(event, ctx, tracker, "N-ACTION")
    verdict = decide(event, ctx, record)
    if verdict.answer is not None or verdict.ended:
        return faulted(ctx, record, verdict), None
    try:
        taken = commitment.take(
            record.sop_instance,
            req.ActionTypeID,
            event.action_information,
            event.assoc.requestor.ae_title,
            ctx,
            verdict.modifier.params if verdict.modifier is not None else None,
        )
    except Exception as exc:
        return failure(ctx, record, "N-ACTION", exc), None
    if taken.delivery is not None:
        commitment_scu.schedule(ctx, event.assoc, int(req.MessageID or 0), taken.delivery)
    finish(
        ctx,
        record,
        SUCCESS,
        matches=len(taken.request.references),
        extra={"transaction": taken.request.transaction_uid, "failed": taken.failed},
    )
    return SUCCESS, None
