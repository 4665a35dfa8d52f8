"""Storage Commitment Push Model SCP (PS3.4 Annex J): what is committed, and how it is reported.

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

This module decides (the report, the delivery's mode, delay and address) and records; the
DICOM adapter delivers (``emulator/dicom/commitment_scu.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset
from pydicom.uid import UID

from emulator.errors import (
    InvalidAttributeValue,
    MissingAttribute,
    NoSuchAction,
    NoSuchObjectInstance,
)
from emulator.logfmt import kv
from emulator.scenario.engine import status_code
from emulator.services.context import ServiceContext
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
class Delivery:
    """How the report of one request goes out (see the module's docstring)."""

    record: int  # the request's row in the index
    event_type: int
    report: Dataset
    mode: str  # same, new or auto
    delay: float  # seconds after the N-ACTION-RSP

    @property
    def transaction(self) -> str:
        return str(self.report.TransactionUID)


@dataclass(frozen=True, slots=True)
class Taken:
    """A commitment request taken: what it asked, how many failed, its record, and how its
    report is to be delivered (None: a scenario withholds it)."""

    request: Request
    failed: int
    record: int
    delivery: Delivery | None


def take(
    instance_uid: str,
    action_type: int | None,
    info: Dataset | None,
    calling_ae: str,
    ctx: ServiceContext,
    fault: Mapping[str, Any] | None = None,
) -> Taken:
    """Validate, decide and record one N-ACTION of *calling_ae*, and say how to deliver its
    report (see :func:`parse` for what it raises).

    *fault* is a scenario's ``commitment`` action: ``delay_s`` replaces the configured delay,
    ``never`` withholds the report (the request stays pending), ``fail`` and ``reason``
    report chosen instances failed.
    """
    request = parse(instance_uid, action_type, info)
    event_type, report = decide(request, ctx, fault)
    pk = ctx.commitments.record(
        request.transaction_uid, calling_ae, len(request.references), report, event_type
    )
    failed = len(report.get("FailedSOPSequence") or [])
    if fault is not None and fault.get("never"):
        ctx.commitments.delivered(pk, "pending", "", "withheld by the scenario: never reported")
        return Taken(request, failed, pk, None)
    remote = ctx.remotes.lookup(calling_ae)
    mode = (remote.commitment_mode if remote else "") or ctx.config.commitment.mode
    delay = ctx.config.commitment.delay
    if remote is not None and remote.commitment_delay is not None:
        delay = remote.commitment_delay
    if fault is not None and fault.get("delay_s") is not None:
        delay = fault["delay_s"]
    return Taken(request, failed, pk, Delivery(pk, event_type, report, mode, delay))


def report_address(
    ctx: ServiceContext, calling_ae: str, requestor_host: str
) -> tuple[str, int, Any] | str:
    """Where a new association for *calling_ae*'s report goes: (host, port, TLS arguments),
    or why there is nowhere."""
    remote = ctx.remotes.lookup(calling_ae)
    if remote is not None:
        return remote.host, remote.port, remote.tls_args()
    port = ctx.config.retrieve.unregistered_destination_port
    if port:
        return requestor_host, port, None
    return (
        f"{calling_ae!r} is not a registered remote AE (--remote-ae), so there is no"
        " address for a new association"
    )


def reported(ctx: ServiceContext, delivery: Delivery, via: str, status: int | None) -> None:
    """The report was answered (*status* None: it was not)."""
    if status is None:
        undeliverable(ctx, delivery, f"no N-EVENT-REPORT-RSP ({via})")
        return
    ctx.commitments.delivered(delivery.record, "reported", via, f"status 0x{status:04X}")
    log.info(kv(event="commitment-reported", transaction=delivery.transaction, via=via))


def undeliverable(ctx: ServiceContext, delivery: Delivery, detail: str) -> None:
    ctx.commitments.delivered(delivery.record, "undeliverable", "", detail)
    log.warning(
        kv(event="commitment-undeliverable", transaction=delivery.transaction, detail=detail)
    )
