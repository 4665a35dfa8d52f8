"""pynetdicom event handlers: thin adapters between events and services.

Each handler reads the event, calls a service function, maps the outcome to a DIMSE status
(``emulator.errors.status_for``), journals it and logs one line (``handling.py``: the
bookkeeping they share). C-ECHO, C-STORE and C-FIND are here, the DIMSE-N services in
``workflow_handlers.py``, the association's own events in ``notifications.py``;
:func:`handlers` is the table of all of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any, cast

from pydicom.dataset import Dataset
from pynetdicom import evt
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.events import Event, EventHandlerType

from emulator.dicom.commands import invalid_instance_uid
from emulator.dicom.contexts import ModalityWorklistInformationFind, query_model
from emulator.dicom.handling import begin, decide, failure, faulted, finish
from emulator.dicom.notifications import (
    AssociationTracker,
    handle_aborted,
    handle_accepted,
    handle_conn_close,
    handle_rejected,
    handle_released,
    handle_requested,
)
from emulator.dicom.user_identity import handle_user_identity
from emulator.errors import (
    CANCEL,
    SUCCESS,
    status_dataset,
)
from emulator.journal import MessageRecord
from emulator.scenario.attributes import LazySummary, summary
from emulator.scenario.modifiers import FindShape
from emulator.services.context import ServiceContext
from emulator.version import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME
from storage import InstanceRecord, InvalidInstance, Level, StorageFull
from storage.part10 import file_meta

log = logging.getLogger("emulator.dicom")

FindYield = tuple[int | Dataset, Dataset | None]


# -- DIMSE services ----------------------------------------------------------------------------


def handle_echo(event: Event, ctx: ServiceContext, tracker: AssociationTracker) -> int | Dataset:
    """C-ECHO (PS3.7 9.1.5): Success."""
    sop_class = str(getattr(event.request, "AffectedSOPClassUID", None) or "")
    record = begin(event, ctx, tracker, "C-ECHO", sop_class=sop_class)
    verdict = decide(event, ctx, record)
    if verdict.answer is not None or verdict.ended:
        return faulted(ctx, record, verdict)
    finish(ctx, record, SUCCESS)
    return SUCCESS


def _part10(
    event: Event, ctx: ServiceContext, record: MessageRecord, transfer_syntax: str, calling_ae: str
) -> tuple[bytes, bytes]:
    """The received data set as a Part 10 file: File Meta Information saying who sent it, then
    the bytes as they arrived (PS3.10 7.1); and those bytes. Raises StorageFull past
    dicom.max_dataset_size."""
    received = event.encoded_dataset(include_meta=False)
    limit = ctx.config.dicom.max_dataset_size
    if limit and len(received) > limit:  # PS3.4 B.2.3: 0xA700 refused, out of resources
        raise StorageFull(
            f"data set of {len(received)} bytes is over the limit of {limit}"
            " (dicom.max_dataset_size)"
        )
    implementation = (IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME)
    meta = file_meta(
        record.sop_class, record.sop_instance, transfer_syntax, *implementation, calling_ae
    )
    return meta + received, received


def handle_store(event: Event, ctx: ServiceContext, tracker: AssociationTracker) -> int | Dataset:
    """C-STORE (PS3.4 B.2.3): store the bytes as received; status per ``errors.STATUS_TABLE``."""
    req = cast(C_STORE, event.request)
    bad_uid = invalid_instance_uid(req)
    record = begin(
        event,
        ctx,
        tracker,
        "C-STORE",
        sop_class=str(req.AffectedSOPClassUID or ""),
        sop_instance=str(req.AffectedSOPInstanceUID or ""),
    )
    if bad_uid is not None:  # PS3.4 B.2.3: 0xA900, nothing stored
        return failure(ctx, record, "C-STORE", InvalidInstance(bad_uid, tag=0x00001000))
    verdict = decide(event, ctx, record, dataset=LazySummary(lambda: event.dataset))
    if verdict.answer is not None or verdict.ended:
        return faulted(ctx, record, verdict)
    if verdict.modifier is not None and verdict.modifier.action == "silent_loss":
        # Success, and nothing stored
        finish(ctx, record, SUCCESS, outcome="fault", detail="silent loss: not stored")
        return SUCCESS
    transfer_syntax = str(event.context.transfer_syntax)
    calling_ae = event.assoc.requestor.ae_title
    try:
        from emulator.services.store import store_instance  # see _later

        part10, received = _part10(event, ctx, record, transfer_syntax, calling_ae)
        outcome = store_instance(
            part10, transfer_syntax, record.sop_class, record.sop_instance, calling_ae, ctx,
            data_set=received,
        )  # fmt: skip
    except Exception as exc:
        return failure(ctx, record, "C-STORE", exc)
    extra = {
        "replaced": outcome.replaced,
        "path": outcome.path,
        "dataset": stored_keys(outcome.record),
    }
    finish(ctx, record, SUCCESS, extra=extra)
    return SUCCESS


def handle_find(
    event: Event, ctx: ServiceContext, tracker: AssociationTracker
) -> Iterator[FindYield]:
    """Q/R C-FIND (PS3.4 C.4.1.3) and Modality Worklist (PS3.4 K.4.1.3): pending per match,
    then Success, Cancel or a failure."""
    sop_class = str(event.request.AffectedSOPClassUID or "")
    service = "MWL" if sop_class == ModalityWorklistInformationFind else "C-FIND"
    record = begin(event, ctx, tracker, service, sop_class=sop_class)
    _journal_identifier(event, ctx, record)
    keys = _query_keys(event, ctx)
    verdict = decide(event, ctx, record, **keys)
    if verdict.answer is not None or verdict.ended:
        yield faulted(ctx, record, verdict), None
        return
    yield from _matches(event, ctx, record, FindShape.of(verdict.modifier), keys)


def _matches(
    event: Event,
    ctx: ServiceContext,
    record: MessageRecord,
    shape: FindShape,
    keys: dict[str, Any],
) -> Iterator[FindYield]:
    """The pending responses of a C-FIND, shaped by the scenario's truncate, duplicate and
    response-phase rules, then its final status."""
    matches = 0
    try:
        for status, identifier in _find_results(event, ctx, record, record.sop_class):
            if status == CANCEL:
                finish(ctx, record, CANCEL, outcome="cancelled", matches=matches)
                yield CANCEL, None
                return
            if shape.cut(matches + 1):  # a truncate rule: the results end here
                final = shape.truncate_status
                finish(ctx, record, final, outcome="fault", matches=matches, detail="truncated")
                yield (status_dataset(final, "results truncated") if final else SUCCESS), None
                return
            matches += 1
            response = decide(event, ctx, record, "response", **keys)
            if response.answer is not None or response.ended:
                yield faulted(ctx, record, response), None
                return
            copies = shape.copies(matches) + FindShape.of(response.modifier).copies(1) - 1
            for _ in range(copies):
                yield status, identifier
    except Exception as exc:
        # The status Dataset carries ErrorComment and OffendingElement into the response.
        yield failure(ctx, record, record.service, exc), None
        return
    finish(ctx, record, SUCCESS, matches=matches)


# What the journal keeps of a stored data set: its identity, as DICOM JSON.
_STORED_KEYS = (
    ("00100020", "LO", Level.PATIENT, "patient_id"),
    ("0020000D", "UI", Level.STUDY, "study_uid"),
    ("00080050", "SH", Level.STUDY, "accession_number"),
    ("0020000E", "UI", Level.SERIES, "series_uid"),
    ("00080060", "CS", Level.SERIES, "modality"),
)


def stored_keys(stored: InstanceRecord) -> dict[str, Any]:
    """The identity of a stored instance as DICOM JSON (no decoding: from its index record)."""
    out = {}
    for tag, vr, level, column in _STORED_KEYS:
        value = stored.columns.get(level, {}).get(column)
        out[tag] = {"vr": vr, "Value": [value]} if value else {"vr": vr}
    return out


def _journal_identifier(event: Event, ctx: ServiceContext, record: MessageRecord) -> None:
    """The request's identifier, as DICOM JSON, for the journal."""
    try:
        identifier: dict[str, Any] | None = event.identifier.to_json_dict()
    except Exception:  # undecodable: the service answers it
        identifier = None
    ctx.journal.update(record, extra={"identifier": identifier})


def _query_keys(event: Event, ctx: ServiceContext) -> dict[str, Any]:
    """``query_level`` and ``query`` of a C-FIND for the scenario (decoded only if one runs)."""
    if ctx.scenario.engine is None:
        return {}
    try:
        keys = summary(event.identifier)
    except Exception:  # undecodable: the service answers it; rules see no keys
        return {}
    return {"query_level": keys.pop("QueryRetrieveLevel", ""), "query": keys}


def _find_results(
    event: Event, ctx: ServiceContext, record: MessageRecord, sop_class: str
) -> Iterator[tuple[int, Dataset | None]]:
    from emulator.services import query, worklist  # see _later

    cancelled = lambda: event.is_cancelled  # noqa: E731 - read at each match
    if sop_class == ModalityWorklistInformationFind:
        return worklist.find(event.identifier, ctx, cancelled)
    model = query_model(sop_class)
    if model is None:  # only FIND contexts are negotiated; kept as a guard
        raise LookupError(f"no query model for {sop_class}")
    request = query.prepare(event.identifier, model, ctx)
    ctx.journal.update(record, extra={"model": model.value, "level": request.level.name})
    return query.find(request, ctx, cancelled)


def _later(name: str) -> Callable[..., Any]:
    """A DIMSE-N handler of ``workflow_handlers``, imported with the first N request. The
    services behind them (MPPS, commitment, acquisition), like the store and query services
    the handlers above import where they use them, load once the archive is open (the start
    imports them: ``Emulator._provide_archive``) or with a request that comes first, not
    before the listener starts."""

    def handle(event: Event, *args: Any) -> Any:
        from emulator.dicom import workflow_handlers

        return getattr(workflow_handlers, name)(event, *args)

    handle.__name__ = name
    return handle


def handlers(ctx: ServiceContext, tracker: AssociationTracker) -> list[EventHandlerType]:
    """The handler table: every event the emulator handles, with its arguments.

    C-MOVE and C-GET are not events here: ``dicom/association.py`` serves them.
    """
    args = [ctx, tracker]
    return [
        (evt.EVT_REQUESTED, handle_requested, args),
        (evt.EVT_USER_ID, handle_user_identity, args),
        (evt.EVT_ACCEPTED, handle_accepted, args),
        (evt.EVT_REJECTED, handle_rejected, args),
        (evt.EVT_RELEASED, handle_released, args),
        (evt.EVT_ABORTED, handle_aborted, args),
        (evt.EVT_CONN_CLOSE, handle_conn_close, args),
        (evt.EVT_C_ECHO, handle_echo, args),
        (evt.EVT_C_STORE, handle_store, args),
        (evt.EVT_C_FIND, handle_find, args),
        (evt.EVT_N_CREATE, _later("handle_n_create"), args),
        (evt.EVT_N_SET, _later("handle_n_set"), args),
        (evt.EVT_N_ACTION, _later("handle_n_action"), args),
    ]
