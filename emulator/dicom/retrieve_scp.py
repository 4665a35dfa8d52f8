"""Q/R C-MOVE and C-GET SCP (PS3.4 C.4.2 and C.4.3), served in place of pynetdicom's: the
responder on the wire of a :class:`~emulator.services.retrieve_session.RetrieveSession`.

pynetdicom's retrieve SCP opens the move destination association itself (answering 0xA801
with no comment when the destination refuses), offers it one context per instance it is
handed, and re-encodes every dataset it sends. Here the session decides (what matches, the
counts, how the request ends, its journal record) and this responder does the wire's part:
it decodes the identifier, runs the scenario's rules at each phase, opens the
sub-associations with the contexts the matches need (0xA702 with a reason when the
destination refuses), runs the sub-operations (``store_scu.py``: conversion only when no
context takes an instance as stored), notices C-CANCEL, and sends every response.
"""

from __future__ import annotations

import logging
import threading
from io import BytesIO
from typing import Any, cast

from pydicom.dataset import Dataset
from pydicom.uid import UID
from pynetdicom.association import Association
from pynetdicom.dimse_primitives import C_GET, C_MOVE
from pynetdicom.dsutils import decode, encode
from pynetdicom.presentation import PresentationContext, build_context

from emulator.dicom import command_set
from emulator.dicom.commands import send_encoded
from emulator.dicom.contexts import RETRIEVE_MODELS
from emulator.dicom.faults import (
    PROCEED,
    Faults,
    Verdict,
    association_event,
)
from emulator.dicom.store_scu import StoreSCU
from emulator.errors import (
    CANCEL,
    PENDING,
    error_comment,
)
from emulator.journal import MessageRecord
from emulator.scenario.attributes import summary
from emulator.scenario.modifiers import retrieve_failures
from emulator.services import retrieve
from emulator.services.context import ServiceContext
from emulator.services.retrieve import Destination
from emulator.services.retrieve_session import Answer, Counts, RetrieveSession
from storage.query import Query

# seconds a C-MOVE destination may take to accept before the requestor gets a Pending response
NUDGE_AFTER = 0.05

log = logging.getLogger("emulator.dicom")


class RetrieveSCP:
    """One C-MOVE or C-GET request, from identifier to final response."""

    def __init__(
        self,
        assoc: Association,
        req: C_GET | C_MOVE,
        context: PresentationContext,
        ctx: ServiceContext,
        record: MessageRecord,
    ) -> None:
        self.assoc, self.req, self.ctx, self.record = assoc, req, ctx, record
        self.session = RetrieveSession(ctx, record)
        self.is_move = isinstance(req, C_MOVE)
        self.service = "C-MOVE" if self.is_move else "C-GET"
        self.context_id = int(context.context_id or 0)
        self.sop_class = str(req.AffectedSOPClassUID)
        self.syntax = UID(context.transfer_syntax[0])
        self.keys: dict[str, Any] = {}  # what scenario rules match: level, keys, destination
        self.modifier: Any = None  # a fail_suboperations or refuse_destination rule
        self.fails = retrieve_failures(None)

    def faults(self, phase: str) -> Verdict:
        """The scenario's decision at *phase* of this request, done."""
        if self.ctx.scenario.engine is None:
            return PROCEED
        event = association_event(
            self.assoc,
            phase,
            self.record.association,
            service=self.service,
            request=self.record.id,
            sop_class=self.record.sop_class,
            transfer_syntax=str(self.syntax),
            **self.keys,
        )
        return Faults.of(self.ctx).act(self.assoc, event, self.record)

    def faulted(self, verdict: Verdict, started: bool = True) -> None:
        """End the request as a rule said: with its status, or with nothing (association
        gone)."""
        if verdict.answer is None:
            self.conclude(self.session.faulted(None, "", started))
            return
        comment = str(verdict.answer.get("ErrorComment", ""))
        self.conclude(self.session.faulted(int(verdict.answer.Status), comment, started))

    # -- responses -------------------------------------------------------------------------

    def respond(
        self,
        status: int,
        counts: Counts | None = None,
        comment: str = "",
        failed_uids: list[str] | None = None,
        offending: int | None = None,
    ) -> None:
        if counts is not None and not comment and not failed_uids and offending is None:
            command = command_set.retrieve_rsp(
                command_set.C_MOVE_RSP if self.is_move else command_set.C_GET_RSP,
                int(self.req.MessageID or 0),
                self.sop_class,
                status,
                counts.remaining if status in (PENDING, CANCEL) else None,
                counts.completed,
                counts.failed,
                counts.warning,
            )
            if send_encoded(self.assoc, self.context_id, command):
                return
        rsp = C_MOVE() if self.is_move else C_GET()
        rsp.MessageIDBeingRespondedTo = self.req.MessageID
        rsp.AffectedSOPClassUID = self.req.AffectedSOPClassUID
        rsp.Status = status
        if comment:
            rsp.ErrorComment = error_comment(comment)  # type: ignore[assignment]
        if offending is not None:
            rsp.OffendingElement = [offending]  # type: ignore[assignment]
        if counts is not None:
            if status in (PENDING, CANCEL):  # remaining: pending and cancel only
                rsp.NumberOfRemainingSuboperations = counts.remaining
            rsp.NumberOfCompletedSuboperations = counts.completed
            rsp.NumberOfFailedSuboperations = counts.failed
            rsp.NumberOfWarningSuboperations = counts.warning
        if failed_uids:
            identifier = Dataset()
            identifier.FailedSOPInstanceUIDList = failed_uids
            rsp.Identifier = BytesIO(
                encode(
                    identifier,
                    self.syntax.is_implicit_VR,
                    self.syntax.is_little_endian,
                    self.syntax.is_deflated,
                )
                or b""
            )
        self.assoc.dimse.send_msg(rsp, self.context_id)

    def conclude(self, answer: Answer) -> None:
        """Send the final response *answer* says (if any), then close the record."""
        if answer.status is not None and answer.respond:
            self.respond(
                answer.status,
                self.session.counts if answer.with_counts else None,
                answer.comment,
                failed_uids=answer.failed_uids,
                offending=answer.offending,
            )
        self.session.finish(answer)

    def request_faults(self, identifier: Dataset) -> bool:
        """The ``request`` phase; False if a rule already ended the request."""
        if self.ctx.scenario.engine is None:
            return True
        keys = summary(identifier)
        self.keys = {"query_level": keys.pop("QueryRetrieveLevel", ""), "query": keys}
        if isinstance(self.req, C_MOVE):
            self.keys["move_destination"] = str(self.req.MoveDestination or "").strip()
        verdict = self.faults("request")
        if verdict.answer is not None or verdict.ended:
            self.faulted(verdict, started=False)
            return False
        self.modifier = verdict.modifier
        self.fails = retrieve_failures(verdict.modifier)
        return True

    # -- the request -----------------------------------------------------------------------

    def run(self) -> None:
        session = self.session
        try:
            identifier = decode(
                cast(BytesIO, self.req.Identifier),
                self.syntax.is_implicit_VR,
                self.syntax.is_little_endian,
                self.syntax.is_deflated,
            )
            self.ctx.journal.update(self.record, extra={"identifier": identifier.to_json_dict()})
            if not self.request_faults(identifier):
                return
            query, total = session.plan(identifier, RETRIEVE_MODELS[self.sop_class])
        except Exception as exc:
            self.conclude(session.failed(exc))
            return
        too_many = session.too_many(total)
        if too_many is not None:
            self.conclude(too_many)
            return
        destination = None
        if self.is_move:  # an unknown destination is 0xA801 whatever matches (C.4.2.1.4)
            destination = self.destination()
            if destination is None:
                return
        session.start(total)
        if total:  # PS3.4 C.4.2.1.4: no match is a success with no sub-operations
            done = (
                self.move(query, destination)
                if destination is not None
                else self.suboperations(self.assoc, query)
            )
            if not done:
                return
        self.conclude(session.final())

    def destination(self) -> Destination | None:
        """The C-MOVE destination, or None once 0xA801 has been answered."""
        assert isinstance(self.req, C_MOVE)
        name = str(self.req.MoveDestination or "")
        try:
            destination = retrieve.resolve_destination(name, self.assoc.requestor.address, self.ctx)
        except Exception as exc:
            self.conclude(self.session.no_destination(exc, name))
            return None
        where = f"{destination.ae_title}@{destination.host}:{destination.port}"
        self.ctx.journal.update(self.record, extra={"destination": where})
        return destination

    def move(self, query: Query, destination: Destination) -> bool:
        """C-MOVE sub-operations, one sub-association per batch of at most 128 contexts.

        Returns False if the request already got its final response.
        """
        counts = self.session.counts
        batches = retrieve.context_batches(self.ctx.index.distinct_classes(query))
        for n, batch in enumerate(batches):
            part = query if len(batches) == 1 else query.of_classes(batch.sop_classes)
            refused = self.modifier is not None and self.modifier.action == "refuse_destination"
            contexts = [build_context(c, list(syntaxes)) for c, syntaxes in batch.proposals]
            sender = None if refused else self.open_sender(destination, contexts, counts)
            if sender is None or not sender.is_established:
                comment = (
                    f"destination {destination.ae_title} rejected the association"
                    if sender is None
                    else refusal(sender, destination)
                )
                if n == 0:  # nothing sent: PS3.4 C.4.2.1.5 unable to perform sub-operations
                    self.conclude(self.session.unable(comment))
                    return False
                log.info("%s; its %d SOP classes fail", comment, len(batch.sop_classes))
                for row in self.ctx.index.iter_rows(part):
                    counts.record("failed", row["sop_instance_uid"])
                    self.respond(PENDING, counts)
                continue
            try:
                if not self.suboperations(sender, part):
                    return False
            finally:
                if sender.is_established:
                    sender.release()
        return True

    def open_sender(
        self, destination: Destination, contexts: list[PresentationContext], counts: Counts
    ) -> Association:
        """The sub-association to *destination*. A destination slow to accept gets a Pending
        response (nothing done yet) on the C-MOVE's association meanwhile: DCMTK's movescu,
        receiving on its own port, looks for the incoming association only when a response
        wakes it up, else once a second."""
        nudge = threading.Timer(NUDGE_AFTER, self.respond, (PENDING, counts))
        nudge.start()
        try:
            return self.assoc.ae.associate(
                destination.host,
                destination.port,
                ae_title=destination.ae_title,
                contexts=contexts,
                tls_args=destination.tls_args,
            )
        finally:
            nudge.cancel()
            nudge.join()  # never two responses on the wire at once

    def suboperations(self, sender: Association, query: Query) -> bool:
        """Send every match, one at a time; False if the request ended early (cancel, abort).

        With no scenario active, each instance's C-STORE is in flight while the requestor
        gets the Pending response of the one before and the next instance is read (PS3.4
        leaves the pace of Pending responses to the SCP; each still reports the counts as
        they were). A scenario's rules see the strict order: sub-operation, response,
        Pending, next sub-operation."""
        originator = (self.assoc.acceptor.ae_title, self.req.MessageID) if self.is_move else ()
        with StoreSCU(sender, self.ctx, *originator) as scu:
            return self._suboperations(scu, query)

    def _suboperations(self, scu: StoreSCU, query: Query) -> bool:
        counts = self.session.counts
        overlap = self.ctx.scenario.engine is None
        rows = self.ctx.index.iter_rows(query)
        row, ahead, pending_due = next(rows, None), None, False
        while row is not None:
            n = counts.number
            if not self.assoc.is_established:
                self.conclude(self.session.requestor_gone())
                return False
            if self.req.MessageID in self.assoc.dimse.cancel_req:
                del self.assoc.dimse.cancel_req[self.req.MessageID]
                self.conclude(self.session.cancelled())
                return False
            verdict = self.faults("suboperation")
            if verdict.ended:
                self.faulted(verdict)
                return False
            result: str | None = "failed"  # a sub-operation made to fail
            if verdict.answer is None and not self.fails(n):
                result = scu.send(row, self.sub_message_id(n), ahead)
            if pending_due:
                self.respond(PENDING, counts)  # the one before's, while this one is in flight
                pending_due = False
            following = next(rows, None)
            ahead = None
            if overlap and following is not None and result is None:
                ahead = scu.prepare(following, self.sub_message_id(n + 1))
            counts.record(result or scu.result(), row["sop_instance_uid"])
            response = self.faults("response")
            if response.answer is not None or response.ended:
                self.faulted(response)
                return False
            if overlap:
                pending_due = True
            else:
                self.respond(PENDING, counts)
            row = following
        if pending_due:
            self.respond(PENDING, counts)
        return True

    def sub_message_id(self, n: int) -> int:
        """The Message ID of the *n*-th sub-operation's C-STORE-RQ (never 0)."""
        return (int(self.req.MessageID or 0) + n) % 65536 or 1


def refusal(sender: Association, destination: retrieve.Destination) -> str:
    """Why the destination association failed, as far as pynetdicom can tell."""
    if sender.is_rejected:
        return f"destination {destination.ae_title} rejected the association"
    # pynetdicom does not tell a refused connection from an A-ABORT here
    return (
        f"destination {destination.ae_title} at {destination.host}:{destination.port}"
        " accepted no association"
    )
