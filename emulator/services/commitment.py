"""Storage Commitment Push Model SCP (PS3.4 Annex J).

N-ACTION (action type 1) asks the archive to commit a list of instances under a Transaction
UID. The emulator answers the N-ACTION at once, decides from the index, and reports with an
N-EVENT-REPORT: event type 1 if every instance is committed, 2 if some failed (Failed SOP
Sequence, Failure Reason 0x0112 no such instance, 0x0119 class/instance conflict; J.3.3).

The report goes, after ``commitment.delay`` seconds (or the remote AE's own), on the N-ACTION's
association while it is open (mode ``same``), on a new association to the requestor's registered
address with the SCP role proposed for the emulator (mode ``new``), or (``auto``, the default)
on the N-ACTION's association while the requestor waits on it, else on a new one: a requestor
that releases within ``RELEASE_SETTLE`` of the response, or does not answer the report within
``commitment.auto_grace`` seconds, gets it on a new association.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset
from pydicom.uid import UID
from pynetdicom import build_role, evt
from pynetdicom.association import Association
from pynetdicom.pdu_primitives import A_ABORT, A_P_ABORT, A_RELEASE
from pynetdicom.presentation import build_context

from emulator.dicom.context import ServiceContext
from emulator.errors import (
    InvalidAttributeValue,
    MissingAttribute,
    NoSuchAction,
    NoSuchObjectInstance,
)
from emulator.logfmt import kv
from emulator.scenario.engine import status_code
from storage.records import text
from storage.uids import uid_problem

log = logging.getLogger(__name__)

STORAGE_COMMITMENT = UID("1.2.840.10008.1.20.1")  # Storage Commitment Push Model SOP Class
STORAGE_COMMITMENT_INSTANCE = UID("1.2.840.10008.1.20.1.1")  # its well-known instance
REQUEST_COMMITMENT = 1  # the only action type (PS3.4 J.3.2.1)
ALL_COMMITTED, SOME_FAILED = 1, 2  # event types (J.3.3.1)
NO_SUCH_INSTANCE = 0x0112  # Failure Reasons (PS3.3 C.14.1.1)
CLASS_INSTANCE_CONFLICT = 0x0119


@dataclass(frozen=True, slots=True)
class Request:
    """A validated N-ACTION: the transaction and the (class, instance) pairs to commit."""

    transaction_uid: str
    references: tuple[tuple[str, str], ...]


def parse(instance_uid: str, action_type: int | None, info: Dataset | None) -> Request:
    """Validate a commitment N-ACTION (PS3.4 J.3.2).

    Raises
    ------
    NoSuchObjectInstance, NoSuchAction, MissingAttribute, InvalidAttributeValue
        Naming what is wrong (0x0112, 0x0123, 0x0120, 0x0106).
    """
    if instance_uid != STORAGE_COMMITMENT_INSTANCE:
        raise NoSuchObjectInstance(
            f"the Requested SOP Instance is {STORAGE_COMMITMENT_INSTANCE}, not {instance_uid!r}"
        )
    if action_type != REQUEST_COMMITMENT:
        raise NoSuchAction(f"action type {action_type} is not 1 (Request Storage Commitment)")
    info = info if info is not None else Dataset()
    transaction = text(info.get("TransactionUID"))
    if not transaction:
        raise MissingAttribute("N-ACTION needs a TransactionUID", 0x00081195)
    if uid_problem(transaction):
        raise InvalidAttributeValue(f"TransactionUID {uid_problem(transaction)}", 0x00081195)
    items = list(info.get("ReferencedSOPSequence") or [])
    if not items:
        raise MissingAttribute("N-ACTION needs a ReferencedSOPSequence item", 0x00081199)
    references = []
    for n, item in enumerate(items):
        sop_class = text(item.get("ReferencedSOPClassUID"))
        sop_instance = text(item.get("ReferencedSOPInstanceUID"))
        if not sop_class or not sop_instance:
            raise MissingAttribute(
                f"ReferencedSOPSequence item {n} needs ReferencedSOPClassUID and"
                " ReferencedSOPInstanceUID",
                0x00081199,
            )
        references.append((sop_class, sop_instance))
    return Request(transaction, tuple(references))


# auto mode: how long after the N-ACTION-RSP (and the delay) a requestor that means to release
# at once, as Orthanc does, has to say so before the report goes out on its association.
RELEASE_SETTLE = 0.1

PROCESSING_FAILURE = 0x0110  # the Failure Reason a scenario's "fail" reports by default


def decide(
    request: Request, ctx: ServiceContext, fail: Mapping[str, Any] | None = None
) -> tuple[int, Dataset]:
    """The event type and Event Information of the report (PS3.4 J.3.3.1), from the index.

    *fail* is a scenario's ``commitment`` action: its ``fail`` instances (``*`` for all) are
    reported failed with its ``reason`` whatever the index holds.
    """
    committed, failed = [], []
    chosen = set((fail or {}).get("fail") or ())
    reason = status_code((fail or {}).get("reason", PROCESSING_FAILURE))
    for sop_class, sop_instance in request.references:
        item = Dataset()
        item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID = sop_class, sop_instance
        stored = ctx.index.instance(sop_instance)
        if "*" in chosen or sop_instance in chosen:
            item.FailureReason = reason
            failed.append(item)
        elif stored is None:
            item.FailureReason = NO_SUCH_INSTANCE
            failed.append(item)
        elif stored.sop_class_uid != sop_class:
            item.FailureReason = CLASS_INSTANCE_CONFLICT
            failed.append(item)
        else:
            item.RetrieveAETitle = ctx.ae_title
            committed.append(item)
    report = Dataset()
    report.TransactionUID = request.transaction_uid
    report.RetrieveAETitle = ctx.ae_title
    if committed:
        report.ReferencedSOPSequence = committed
    if failed:
        report.FailedSOPSequence = failed
    return (SOME_FAILED if failed else ALL_COMMITTED), report


@dataclass(frozen=True, slots=True)
class Taken:
    """A commitment request taken: what it asked, how many failed, its record."""

    request: Request
    failed: int
    record: int


def take(
    instance_uid: str,
    action_type: int | None,
    info: Dataset | None,
    assoc: Association,
    message_id: int,
    ctx: ServiceContext,
    fault: Mapping[str, Any] | None = None,
) -> Taken:
    """Validate, decide, record and schedule the report of one N-ACTION (see :func:`parse`
    for what it raises).

    *fault* is a scenario's ``commitment`` action: ``delay_s`` replaces the configured delay,
    ``never`` withholds the report (the request stays pending), ``fail`` and ``reason``
    report chosen instances failed.
    """
    request = parse(instance_uid, action_type, info)
    event_type, report = decide(request, ctx, fault)
    calling_ae = assoc.requestor.ae_title
    pk = ctx.commitments.record(
        request.transaction_uid, calling_ae, len(request.references), report, event_type
    )
    if fault is not None and fault.get("never"):
        ctx.commitments.delivered(pk, "pending", "", "withheld by the scenario: never reported")
    else:
        delay = fault.get("delay_s") if fault is not None else None
        schedule(ctx, assoc, message_id, pk, event_type, report, delay)
    return Taken(request, len(report.get("FailedSOPSequence") or []), pk)


def schedule(
    ctx: ServiceContext,
    assoc: Association,
    message_id: int,
    record: int,
    event_type: int,
    report: Dataset,
    delay_s: float | None = None,
) -> threading.Thread:
    """Deliver *report* in the background, as the settings and the requestor's entry say,
    once the N-ACTION-RSP to *message_id* has gone out (PS3.4 J.3.3: response first).

    pynetdicom marks the reactor paused while a service runs so that handlers may send, so a
    send from another thread would overtake the response; the thread waits for the response's
    EVT_DIMSE_SENT instead.
    """
    responded = threading.Event()
    leaving = threading.Event()  # the requestor asked to release, or the association ended

    def on_sent(event: Any) -> None:
        command = event.message.command_set
        if command.CommandField == 0x8130 and command.MessageIDBeingRespondedTo == message_id:
            responded.set()

    def on_acse(event: Any) -> None:
        if isinstance(event.primitive, (A_RELEASE, A_ABORT, A_P_ABORT)):
            leaving.set()

    def on_end(event: Any) -> None:
        leaving.set()

    ends = ((evt.EVT_ACSE_RECV, on_acse), (evt.EVT_RELEASED, on_end), (evt.EVT_ABORTED, on_end))
    assoc.bind(evt.EVT_DIMSE_SENT, on_sent)
    for event, handler in ends:
        assoc.bind(event, handler)
    calling_ae = assoc.requestor.ae_title
    remote = ctx.remotes.lookup(calling_ae)
    mode = (remote.commitment_mode if remote else "") or ctx.config.commitment.mode
    delay = ctx.config.commitment.delay
    if remote is not None and remote.commitment_delay is not None:
        delay = remote.commitment_delay
    if delay_s is not None:
        delay = delay_s

    def deliver() -> None:
        responded.wait(ctx.config.dicom.dimse_timeout)
        assoc.unbind(evt.EVT_DIMSE_SENT, on_sent)
        try:
            _deliver(ctx, assoc, record, event_type, report, mode, delay, leaving)
        finally:
            for event, handler in ends:
                assoc.unbind(event, handler)

    thread = threading.Thread(
        target=deliver,
        name=f"commitment-{record}",
        daemon=True,
    )
    ctx.interrupts.start(thread)  # joined at stop: nothing logs after the emulator stopped
    return thread


def _deliver(
    ctx: ServiceContext,
    assoc: Association,
    record: int,
    event_type: int,
    report: Dataset,
    mode: str,
    delay: float,
    leaving: threading.Event,
) -> None:
    if ctx.interrupts.wait(delay):
        ctx.commitments.delivered(record, "undeliverable", "", "the emulator stopped or was reset")
        return
    transaction = str(report.TransactionUID)
    if mode == "same":
        status, detail = _send_same(assoc, event_type, report, None)
        if status is not None:
            _done(ctx, record, transaction, "same association", status)
        else:
            _undeliverable(ctx, record, transaction, detail)
        return
    if mode == "auto":
        # Only while the requestor waits on it: one that released (or releases now, as
        # Orthanc does right after the N-ACTION-RSP) gets the report on a new association.
        if leaving.wait(RELEASE_SETTLE):
            detail = "the requestor released the N-ACTION's association"
        else:
            grace = ctx.config.commitment.auto_grace
            status, detail = _send_same(assoc, event_type, report, grace)
            if status is not None:
                _done(ctx, record, transaction, "same association", status)
                return
        log.info(kv(event="commitment-fallback", transaction=transaction, reason=detail))
    _deliver_new(ctx, assoc, record, event_type, report, transaction)


def _send_same(
    assoc: Association, event_type: int, report: Dataset, wait: float | None
) -> tuple[Dataset | None, str]:
    """Send the report on the N-ACTION's association, waiting *wait* seconds (None: the DIMSE
    timeout) for the response: (the response's status, "") or (None, why not)."""
    if not assoc.is_established:
        return None, "the N-ACTION's association had closed"
    timeout = assoc.dimse_timeout
    if wait is not None:
        assoc.dimse_timeout = wait
    try:
        status, _ = assoc.send_n_event_report(
            report, event_type, STORAGE_COMMITMENT, STORAGE_COMMITMENT_INSTANCE
        )
    except Exception as exc:  # the peer went away meanwhile, or refused
        return None, f"on the same association: {exc}"
    finally:
        assoc.dimse_timeout = timeout
    if status is None or "Status" not in status:
        waited = f"{wait:g} s" if wait is not None else "the DIMSE timeout"
        return None, f"no N-EVENT-REPORT-RSP on the same association within {waited}"
    return status, ""


def _deliver_new(
    ctx: ServiceContext,
    assoc: Association,
    record: int,
    event_type: int,
    report: Dataset,
    transaction: str,
) -> None:
    """A new association to the requestor, the emulator proposing the SCP role (J.3.3)."""
    calling_ae = assoc.requestor.ae_title
    remote = ctx.remotes.lookup(calling_ae)
    tls_args: Any = None
    if remote is not None:
        host, port, tls_args = remote.host, remote.port, remote.tls_args()
    elif ctx.config.retrieve.unregistered_destination_port:
        host, port = assoc.requestor.address, ctx.config.retrieve.unregistered_destination_port
    else:
        _undeliverable(
            ctx,
            record,
            transaction,
            f"{calling_ae!r} is not a registered remote AE (--remote-ae), so there is no"
            " address for a new association",
        )
        return
    sender = assoc.ae.associate(
        host,
        port,
        ae_title=calling_ae,
        contexts=[build_context(STORAGE_COMMITMENT)],
        ext_neg=[build_role(STORAGE_COMMITMENT, scp_role=True)],
        tls_args=tls_args,
    )
    if not sender.is_established:
        _undeliverable(ctx, record, transaction, f"{calling_ae}@{host}:{port} did not accept")
        return
    try:
        status, _ = sender.send_n_event_report(
            report, event_type, STORAGE_COMMITMENT, STORAGE_COMMITMENT_INSTANCE
        )
        _done(ctx, record, transaction, "new association", status)
    except Exception as exc:
        _undeliverable(ctx, record, transaction, f"on a new association: {exc}")
    finally:
        if sender.is_established:
            sender.release()


def _done(
    ctx: ServiceContext, record: int, transaction: str, via: str, status: Dataset | None
) -> None:
    if status is None or "Status" not in status:
        _undeliverable(ctx, record, transaction, f"no N-EVENT-REPORT-RSP ({via})")
        return
    ctx.commitments.delivered(record, "reported", via, f"status 0x{int(status.Status):04X}")
    log.info(kv(event="commitment-reported", transaction=transaction, via=via))


def _undeliverable(ctx: ServiceContext, record: int, transaction: str, detail: str) -> None:
    ctx.commitments.delivered(record, "undeliverable", "", detail)
    log.warning(kv(event="commitment-undeliverable", transaction=transaction, detail=detail))
