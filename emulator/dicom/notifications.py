"""pynetdicom notification handlers of an association: its journal record from the TCP
connection to its end, the scenario's ``associate`` phase, one log line when it ends."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, cast

from pynetdicom.events import Event

from emulator.dicom.contexts import proposed_only
from emulator.dicom.faults import Faults, association_event, narrowed
from emulator.dicom.user_identity import identity_of
from emulator.journal import AssociationRecord
from emulator.logfmt import kv
from emulator.services.context import ServiceContext

log = logging.getLogger("emulator.dicom")


class AssociationTracker:
    """Maps live associations to their journal records (one per server)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[int, AssociationRecord] = {}
        self.closed_how: dict[int, str] = {}  # assoc → "aborted" | "dropped", set at close

    def put(self, assoc: Any, record: AssociationRecord) -> None:
        with self._lock:
            self._records[id(assoc)] = record

    def get(self, assoc: Any) -> AssociationRecord | None:
        with self._lock:
            return self._records.get(id(assoc))

    def pop(self, assoc: Any) -> AssociationRecord | None:
        with self._lock:
            return self._records.pop(id(assoc), None)


def end_unassociated(ctx: ServiceContext, record: AssociationRecord, why: str) -> None:
    """A connection that ended at the gate, before any A-ASSOCIATE-RQ: outcome ``closed``,
    one log line saying why."""
    ended = time.time()
    ctx.journal.update(record, outcome="closed", ended=ended)
    log.info(
        kv(
            assoc=record.id,
            event="closed",
            peer=record.peer,
            ms=(ended - record.started) * 1000,
            why=why,
        )
    )


def handle_requested(event: Event, ctx: ServiceContext, tracker: AssociationTracker) -> None:
    """The A-ASSOCIATE-RQ is read, nothing negotiated yet: note the AE titles, give
    negotiation only the supported contexts of the proposed classes, then the scenario's
    ``associate`` phase."""
    assoc, record = event.assoc, tracker.get(event.assoc)
    primitive = assoc.requestor.primitive
    if record is not None and primitive is not None:
        ctx.journal.update(
            record,
            calling_ae=str(primitive.calling_ae_title).strip(),
            called_ae=str(primitive.called_ae_title).strip(),
            contexts=[
                {
                    "id": cx.context_id,
                    "abstract_syntax": str(cx.abstract_syntax),
                    "transfer_syntaxes": [str(ts) for ts in cx.transfer_syntax],
                }
                for cx in assoc.requestor.requested_contexts
            ],
            roles={
                str(uid): {"scu": item.scu_role, "scp": item.scp_role}
                for uid, item in assoc.requestor.role_selection.items()
            },
            user_identity=identity_of(assoc),
        )
    index = getattr(assoc, "context_index", None)
    if index is not None:  # negotiation then looks up only the proposed abstract syntaxes
        acceptor = assoc.acceptor
        acceptor.supported_contexts = proposed_only(index, assoc.requestor.requested_contexts)
    if ctx.scenario.engine is None:
        return
    scenario_event = association_event(assoc, "associate", record.id if record else 0)
    found = Faults.of(ctx).decide(scenario_event, record)
    if found is None:
        return
    decision, engine = found
    negotiate = NEGOTIATION_ACTIONS.get(decision.action)
    if negotiate is not None:
        negotiate(event, ctx, tracker, decision.params)
    else:
        Faults.of(ctx).apply(assoc, decision, engine)


def _reject(
    event: Event, ctx: ServiceContext, tracker: AssociationTracker, params: dict[str, Any]
) -> None:
    """A-ASSOCIATE-RJ; pynetdicom then skips negotiation."""
    assoc = event.assoc
    assoc.acse.send_reject(params["result"], params["source"], params["reason"])
    _end(event, ctx, tracker, "rejected")
    assoc.kill()  # as pynetdicom's own rejections: wait until the RJ is out


def _max_pdu(
    event: Event, ctx: ServiceContext, tracker: AssociationTracker, params: dict[str, Any]
) -> None:
    """The Maximum Length the A-ASSOCIATE-AC announces."""
    event.assoc.acceptor.maximum_length = int(params["bytes"])


def _reject_contexts(
    event: Event, ctx: ServiceContext, tracker: AssociationTracker, params: dict[str, Any]
) -> None:
    acceptor = event.assoc.acceptor
    acceptor.supported_contexts = narrowed(acceptor.supported_contexts, params)


# The negotiation actions of the registry (scenario/actions.py), done on the A-ASSOCIATE-RQ.
NEGOTIATION_ACTIONS: dict[str, Callable[..., None]] = {
    "reject": _reject,
    "max_pdu": _max_pdu,
    "reject_contexts": _reject_contexts,
}


def handle_accepted(event: Event, ctx: ServiceContext, tracker: AssociationTracker) -> None:
    record = tracker.get(event.assoc)
    if record is None:
        return
    requestor = event.assoc.requestor
    negotiated = {
        cx.context_id: cx for cx in (*event.assoc.accepted_contexts, *event.assoc.rejected_contexts)
    }
    contexts = []
    for proposed in record.contexts:
        cx = negotiated.get(proposed["id"])
        result = {}
        if cx is not None:
            result["result"] = cx.status
            if cx.result == 0:
                result["transfer_syntax"] = str(cx.transfer_syntax[0])
        contexts.append({**proposed, **result})
    ctx.journal.update(
        record,
        contexts_proposed=len(requestor.requested_contexts),
        contexts_accepted=len(event.assoc.accepted_contexts),
        contexts=contexts,
        max_pdu=requestor.maximum_length,
        implementation_uid=str(requestor.implementation_class_uid or ""),
        implementation_version=requestor.implementation_version_name or "",
        outcome="accepted",
    )


def _end(event: Event, ctx: ServiceContext, tracker: AssociationTracker, outcome: str) -> None:
    record = tracker.pop(event.assoc)
    if record is None:
        return  # already ended (a released association also closes its connection)
    ended = time.time()
    ctx.journal.update(record, outcome=outcome, ended=ended)
    log.info(
        kv(
            assoc=record.id,
            event=outcome,
            peer=record.peer,
            calling=record.calling_ae or None,
            called=record.called_ae or None,
            contexts=f"{record.contexts_accepted}/{record.contexts_proposed}"
            if record.contexts_proposed
            else None,
            messages=record.messages,
            ms=(ended - record.started) * 1000,
        )
    )


def handle_released(event: Event, ctx: ServiceContext, tracker: AssociationTracker) -> None:
    _end(event, ctx, tracker, "released")


def handle_aborted(event: Event, ctx: ServiceContext, tracker: AssociationTracker) -> None:
    _end(event, ctx, tracker, tracker.closed_how.pop(id(event.assoc), "aborted"))


def handle_rejected(event: Event, ctx: ServiceContext, tracker: AssociationTracker) -> None:
    _end(event, ctx, tracker, "rejected")


def handle_conn_close(event: Event, ctx: ServiceContext, tracker: AssociationTracker) -> None:
    record = tracker.get(event.assoc)
    if record is not None and record.outcome == "accepted":
        # An established association always ends in EVT_RELEASED or EVT_ABORTED after this;
        # note whether the peer sent A-ABORT or just dropped the connection.
        aborted = event.assoc.acse.is_aborted("a-abort")
        tracker.closed_how[id(event.assoc)] = "aborted" if aborted else "dropped"
        return
    if record is not None and record.outcome == "open":
        # The connection closed before any A-ASSOCIATE-RQ (garbage, a port scan). pynetdicom's
        # acceptor would otherwise wait out the ACSE timeout holding an association slot;
        # None is what its own timeout yields, so it takes the same clean exit now.
        queue = event.assoc.dul.to_user_queue
        if queue.empty():
            queue.put(cast(Any, None))  # typed without None, but None is its timeout value
    # a rejection's peer may read the A-ASSOCIATE-RJ and close before EVT_REJECTED fires
    answer = event.assoc.acceptor.primitive
    rejected = answer is not None and answer.result in (0x01, 0x02)
    _end(event, ctx, tracker, "rejected" if rejected else "closed")
