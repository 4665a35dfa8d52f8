"""Storage Commitment reports on the wire: the N-EVENT-REPORT of a request the service took
(``emulator/services/commitment.py`` decides what, when and how; this module delivers).

The report waits for the N-ACTION-RSP to have gone out (PS3.4 J.3.3: response first):
pynetdicom marks the association's loop paused while a service runs so that handlers may
send, so a send from another thread would overtake the response; the delivery thread waits
for the response's EVT_DIMSE_SENT instead.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from pynetdicom import build_role, evt
from pynetdicom.association import Association
from pynetdicom.pdu_primitives import A_ABORT, A_P_ABORT, A_RELEASE
from pynetdicom.presentation import build_context

from emulator.logfmt import kv
from emulator.services import commitment
from emulator.services.commitment import (
    RELEASE_SETTLE,
    STORAGE_COMMITMENT,
    STORAGE_COMMITMENT_INSTANCE,
    Delivery,
)
from emulator.services.context import ServiceContext

log = logging.getLogger("emulator.services.commitment")

N_ACTION_RSP = 0x8130


def schedule(
    ctx: ServiceContext, assoc: Association, message_id: int, delivery: Delivery
) -> threading.Thread:
    """Deliver the report in the background once the N-ACTION-RSP to *message_id* has gone
    out on *assoc*."""
    responded = threading.Event()
    leaving = threading.Event()  # the requestor asked to release, or the association ended

    def on_sent(event: Any) -> None:
        command = event.message.command_set
        if command.CommandField == N_ACTION_RSP and command.MessageIDBeingRespondedTo == message_id:
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

    def deliver() -> None:
        responded.wait(ctx.config.dicom.dimse_timeout)
        assoc.unbind(evt.EVT_DIMSE_SENT, on_sent)
        try:
            _deliver(ctx, assoc, delivery, leaving)
        finally:
            for event, handler in ends:
                assoc.unbind(event, handler)

    thread = threading.Thread(target=deliver, name=f"commitment-{delivery.record}", daemon=True)
    ctx.interrupts.start(thread)  # joined at stop: nothing logs after the emulator stopped
    return thread


def _deliver(
    ctx: ServiceContext, assoc: Association, delivery: Delivery, leaving: threading.Event
) -> None:
    if ctx.interrupts.wait(delivery.delay):
        commitment.undeliverable(ctx, delivery, "the emulator stopped or was reset")
        return
    if delivery.mode == "same":
        status, detail = _send_same(assoc, delivery, None)
        if status is not None:
            commitment.reported(ctx, delivery, "same association", status)
        else:
            commitment.undeliverable(ctx, delivery, detail)
        return
    if delivery.mode == "auto":
        # Only while the requestor waits on it: one that released (or releases now, as
        # Orthanc does right after the N-ACTION-RSP) gets the report on a new association.
        if leaving.wait(RELEASE_SETTLE):
            detail = "the requestor released the N-ACTION's association"
        else:
            grace = ctx.config.commitment.auto_grace
            status, detail = _send_same(assoc, delivery, grace)
            if status is not None:
                commitment.reported(ctx, delivery, "same association", status)
                return
        log.info(kv(event="commitment-fallback", transaction=delivery.transaction, reason=detail))
    _deliver_new(ctx, assoc, delivery)


def _send_same(
    assoc: Association, delivery: Delivery, wait: float | None
) -> tuple[int | None, str]:
    """Send the report on the N-ACTION's association, waiting *wait* seconds (None: the DIMSE
    timeout) for the response: (the response's status, "") or (None, why not)."""
    if not assoc.is_established:
        return None, "the N-ACTION's association had closed"
    timeout = assoc.dimse_timeout
    if wait is not None:
        assoc.dimse_timeout = wait
    try:
        status, _ = assoc.send_n_event_report(
            delivery.report, delivery.event_type, STORAGE_COMMITMENT, STORAGE_COMMITMENT_INSTANCE
        )
    except Exception as exc:  # the peer went away meanwhile, or refused
        return None, f"on the same association: {exc}"
    finally:
        assoc.dimse_timeout = timeout
    if status is None or "Status" not in status:
        waited = f"{wait:g} s" if wait is not None else "the DIMSE timeout"
        return None, f"no N-EVENT-REPORT-RSP on the same association within {waited}"
    return int(status.Status), ""


def _deliver_new(ctx: ServiceContext, assoc: Association, delivery: Delivery) -> None:
    """A new association to the requestor, the emulator proposing the SCP role (J.3.3)."""
    calling_ae = assoc.requestor.ae_title
    address = commitment.report_address(ctx, calling_ae, assoc.requestor.address)
    if isinstance(address, str):
        commitment.undeliverable(ctx, delivery, address)
        return
    host, port, tls_args = address
    sender = assoc.ae.associate(
        host,
        port,
        ae_title=calling_ae,
        contexts=[build_context(STORAGE_COMMITMENT)],
        ext_neg=[build_role(STORAGE_COMMITMENT, scp_role=True)],
        tls_args=tls_args,
    )
    if not sender.is_established:
        commitment.undeliverable(ctx, delivery, f"{calling_ae}@{host}:{port} did not accept")
        return
    try:
        status, _ = sender.send_n_event_report(
            delivery.report, delivery.event_type, STORAGE_COMMITMENT, STORAGE_COMMITMENT_INSTANCE
        )
        code = int(status.Status) if status is not None and "Status" in status else None
        commitment.reported(ctx, delivery, "new association", code)
    except Exception as exc:
        commitment.undeliverable(ctx, delivery, f"on a new association: {exc}")
    finally:
        if sender.is_established:
            sender.release()
