"""Scenario faults on the wire: what each action does at each phase.

The engine (``emulator.scenario.engine``) decides which rule fires for an event; this module
does what the rule's action says, on the association or its socket, and notes the firing in
the journal. Phases and where they hook into pynetdicom:

- ``connect``: the server's request handler, before the association reads its A-ASSOCIATE-RQ;
- ``associate``: ``EVT_REQUESTED``, before pynetdicom negotiates (reject, abort, max PDU,
  rejected contexts);
- ``request``, ``response``, ``suboperation``: the DIMSE handlers and the retrieve SCP;
- ``release``: :class:`FaultACSE`, when the peer's A-RELEASE-RQ is seen.

Byte-level actions (``close`` after N bytes, ``throttle``) act in :class:`FaultSocket`, which
every accepted association's socket becomes.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from pydicom.dataset import Dataset
from pydicom.uid import UID
from pynetdicom import evt
from pynetdicom.acse import ACSE
from pynetdicom.association import Association
from pynetdicom.presentation import PresentationContext, build_context

from emulator.dicom.contexts import retrieve_syntax
from emulator.dicom.negotiation import prefer_requestor
from emulator.dicom.user_identity import username
from emulator.dicom.wire import TICK, FaultSocket, Wire, close_socket, hang_socket
from emulator.errors import status_dataset
from emulator.journal import AssociationRecord, MessageRecord, RequestJournal
from emulator.scenario.actions import SERVICE_ACTIONS
from emulator.scenario.active import ActiveScenario
from emulator.scenario.engine import Decision, Engine, Event, status_code
from emulator.scenario.keywords import sop_uid
from emulator.services.context import ServiceContext

log = logging.getLogger("emulator.dicom")


def wire_of(assoc: Association) -> Wire:
    sock = assoc.dul.socket
    return sock.wire if isinstance(sock, FaultSocket) else Wire()


def narrowed(
    contexts: list[PresentationContext], params: Mapping[str, Any]
) -> list[PresentationContext]:
    """The supported contexts less a ``reject_contexts`` rule's SOP classes (negotiation
    then answers "abstract syntax not supported") and transfer syntaxes ("transfer syntaxes
    not supported" when none the requestor proposed is left; PS3.8 9.3.3.2)."""
    classes = {sop_uid(name) for name in params.get("sop_classes", ())}
    syntaxes = {sop_uid(name) for name in params.get("transfer_syntaxes", ())}
    kept = []
    for cx in contexts:
        if cx.abstract_syntax in classes:
            continue
        left: list[str | UID] = [ts for ts in cx.transfer_syntax if ts not in syntaxes]
        if left:
            kept.append(build_context(cast(str, cx.abstract_syntax), left))
            kept[-1].scu_role, kept[-1].scp_role = cx.scu_role, cx.scp_role
    return kept


def association_event(assoc: Association, phase: str, association: int, **fields: Any) -> Event:
    """An event with what is known of *assoc*: peer, AE titles as the requestor sent them,
    the username of its User Identity Negotiation."""
    rq = assoc.requestor.primitive
    return Event(
        phase,
        calling_ae=str(rq.calling_ae_title).strip() if rq is not None else "",
        called_ae=str(rq.called_ae_title).strip() if rq is not None else "",
        username=username(assoc) if rq is not None else "",
        peer=str(assoc.requestor.address or ""),
        association=association,
        **fields,
    )


@dataclass(slots=True)
class Verdict:
    """What a handler does after a decision.

    ``answer``: respond with this status instead of serving the request; ``ended``: the
    association is gone (aborted, closed, hung up), respond with nothing; ``modifier``: a
    service-specific action for the service to apply (truncate, fail_suboperations, ...).
    """

    answer: Dataset | None = None
    ended: bool = False
    modifier: Decision | None = None


PROCEED = Verdict()
MODIFIERS = SERVICE_ACTIONS  # applied by their service (scenario/actions.py)


class Faults:
    """Applies the active scenario's decisions to associations (one per server)."""

    def __init__(self, scenario: ActiveScenario, journal: RequestJournal) -> None:
        self.scenario = scenario
        self.journal = journal  # rules that fire are noted on the record, under its lock

    @classmethod
    def of(cls, ctx: ServiceContext) -> Faults:
        """The faults of *ctx*'s scenario, noted in its journal."""
        return cls(ctx.scenario, ctx.journal)

    @property
    def active(self) -> bool:
        return self.scenario.engine is not None

    def decide(
        self,
        event: Event,
        noted: AssociationRecord | MessageRecord | None,
    ) -> tuple[Decision, Engine] | None:
        note = None if noted is None else lambda label: self.journal.update(noted, fault=label)
        return self.scenario.fire(event, note, log)

    def act(
        self,
        assoc: Association,
        event: Event,
        noted: AssociationRecord | MessageRecord | None,
    ) -> Verdict:
        """Decide *event* and do what the rule says; the verdict tells the caller the rest."""
        found = self.decide(event, noted)
        if found is None:
            return PROCEED
        decision, engine = found
        return self.apply(assoc, decision, engine)

    def connect(
        self, assoc: Association, sock: socket.socket, record: AssociationRecord | None
    ) -> None:
        """The ``connect`` phase: the TCP connection is accepted, nothing read yet."""
        event = Event("connect", peer=str(assoc.requestor.address or ""))
        event = replace(event, association=record.id if record else 0)
        found = self.decide(event, record)
        if found is None:
            return
        decision, engine = found
        if decision.action == "hang":
            hang_socket(sock, decision.delay_ms / 1000, engine)
            # closed for good, unread A-ASSOCIATE-RQ and all; the association ends "closed"
            close_socket(sock, "reset")
            return
        self.apply(assoc, decision, engine)

    def apply(self, assoc: Association, decision: Decision, engine: Engine) -> Verdict:
        """Do *decision*'s action on *assoc* (see :data:`WIRE_ACTIONS`)."""
        if decision.action in MODIFIERS:
            return Verdict(modifier=decision)
        act = WIRE_ACTIONS.get(decision.action)
        # pass, and the associate-only actions the EVT_REQUESTED handler does itself
        return act(assoc, decision, engine) if act is not None else PROCEED


Action = Callable[[Association, Decision, Engine], Verdict]
ENDED = Verdict(ended=True)


def _delay(assoc: Association, decision: Decision, engine: Engine) -> Verdict:
    engine.wait(decision.delay_ms / 1000)
    return PROCEED


def _status(assoc: Association, decision: Decision, engine: Engine) -> Verdict:
    params = decision.params
    offending = params.get("offending_element")
    answer = status_dataset(
        status_code(params["code"]),
        str(params.get("error_comment", "")),
        int(str(offending).strip("()").replace(",", ""), 16) if offending else None,
    )
    return Verdict(answer=answer)


def _throttle(assoc: Association, decision: Decision, engine: Engine) -> Verdict:
    wire = wire_of(assoc)
    wire.bytes_per_s, wire.engine = int(decision.params["bytes_per_s"]), engine
    return PROCEED


def _close(assoc: Association, decision: Decision, engine: Engine) -> Verdict:
    wire = wire_of(assoc)
    wire.close_mode = str(decision.params.get("mode", "fin"))
    if decision.params.get("after_bytes"):
        wire.close_after = int(decision.params["after_bytes"])
        return PROCEED  # the response goes out, cut short
    sock = assoc.dul.socket
    close_socket(sock.socket if sock is not None else None, wire.close_mode)
    return ENDED


def _hang(assoc: Association, decision: Decision, engine: Engine) -> Verdict:
    hang(assoc, decision.delay_ms / 1000, engine)
    if not peer_gone(assoc):  # time is up, or a reset: the emulator ends it
        abort(assoc)
    return ENDED


def _abort(assoc: Association, decision: Decision, engine: Engine) -> Verdict:
    abort(assoc)
    return ENDED


def _ap_abort(assoc: Association, decision: Decision, engine: Engine) -> Verdict:
    ap_abort(assoc, int(decision.params.get("reason", 0)))
    return ENDED


# What each wire action of the registry (scenario/actions.py) does on an association; the
# negotiation's act in notifications.handle_requested, the services' in their service.
WIRE_ACTIONS: dict[str, Action] = {
    "delay": _delay,
    "status": _status,
    "throttle": _throttle,
    "close": _close,
    "hang": _hang,
    "abort": _abort,
    "ap_abort": _ap_abort,
}


def peer_gone(assoc: Association) -> bool:
    """True once the peer aborted or closed the connection (or pynetdicom stopped)."""
    sock = assoc.dul.socket
    return (
        assoc.acse.is_aborted()
        or not assoc.dul.is_alive()
        or sock is None
        or sock.socket is None
        or assoc.is_aborted
    )


def hang(assoc: Association, seconds: float, engine: Engine) -> None:
    """Send nothing until *seconds* pass (0: for ever), the peer goes away or a cancel."""
    deadline = time.monotonic() + seconds if seconds else None
    while not engine.wait(TICK) and not peer_gone(assoc):
        if deadline is not None and time.monotonic() >= deadline:
            return


def abort(assoc: Association) -> None:
    """A-ABORT (source: service user), sent before the connection closes.

    Inside event handlers pynetdicom makes ``abort()`` non-blocking, and before negotiation
    its reactor then shuts the socket before the A-ABORT PDU is out (the peer would see a
    dropped connection instead); the blocking form waits for the PDU and the peer's close.
    """
    if not assoc.is_aborted and not assoc.is_released:
        assoc._abort_blocking(True)


def ap_abort(assoc: Association, reason: int) -> None:
    """A-P-ABORT: an A-ABORT PDU from the service provider with *reason* (PS3.8 9.3.8)."""
    if assoc._sent_abort or assoc.is_released:
        return
    assoc._sent_abort = True
    assoc._reactor_checkpoint.set()
    assoc.acse.send_ap_abort(reason)
    evt.trigger(assoc, evt.EVT_ABORTED, {})
    assoc.kill()
    sock = assoc.dul.socket
    if sock is not None:
        sock._shutdown_socket()


class FaultACSE(ACSE):
    """pynetdicom's ACSE with the ``release`` phase: a rule may delay, hang or refuse the
    A-RELEASE-RP, or abort instead."""

    faults: Faults
    record: AssociationRecord | None
    _release_seen: bool

    def send_accept(self) -> None:
        """Before the A-ASSOCIATE-AC goes out: each accepted context takes the requestor's
        first proposed transfer syntax that the emulator supports
        (``negotiation.prefer_requestor``), and storage contexts a C-GET requestor proposes
        with the SCP role the proposed syntax its instances are stored in
        (``contexts.retrieve_syntax``)."""
        requested = self.requestor.primitive
        if requested is not None:
            prefer_requestor(
                self.assoc._accepted_cx,
                requested.presentation_context_definition_list,
                self.acceptor.supported_contexts,
            )
        scp_roles = {
            str(uid) for uid, item in self.requestor.role_selection.items() if item.scp_role
        }
        gets = {
            int(cx.context_id or 0): cx
            for cx in (requested.presentation_context_definition_list if requested else [])
            if str(cx.abstract_syntax) in scp_roles
        }
        accepted = {i: cx for i, cx in self.assoc._accepted_cx.items() if i in gets}
        ctx = getattr(self.assoc, "service_context", None)
        if accepted and ctx is not None:
            stored = ctx.index.stored_syntaxes(
                {str(cx.abstract_syntax) for cx in accepted.values()}
            )
            for context_id, context in accepted.items():
                proposal = gets[context_id]
                syntax = retrieve_syntax(
                    [str(ts) for ts in proposal.transfer_syntax],
                    stored.get(str(proposal.abstract_syntax), {}),
                )
                if syntax is not None:
                    context.transfer_syntax = [UID(syntax)]
        super().send_accept()

    def is_release_requested(self) -> bool:
        if not super().is_release_requested():
            return False
        if getattr(self, "_release_seen", False) or not self.faults.active:
            return True
        self._release_seen = True
        record = self.record
        event = association_event(self.assoc, "release", record.id if record else 0)
        verdict = self.faults.act(self.assoc, event, record)
        return not verdict.ended
