"""Q/R C-MOVE and C-GET SCP (PS3.4 C.4.2 and C.4.3), served in place of pynetdicom's.

pynetdicom's retrieve SCP opens the move destination association itself (answering 0xA801
with no comment when the destination refuses), offers it one context per instance it is
handed, and re-encodes every dataset it sends. Here the emulator decides: contexts from what
the matches need, 0xA702 with a reason when the destination refuses, conversion only when no
context takes an instance as stored, and one journal record per request.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, cast

from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID
from pynetdicom.association import Association
from pynetdicom.dimse_primitives import C_GET, C_MOVE
from pynetdicom.dsutils import decode, encode
from pynetdicom.presentation import PresentationContext, build_context

from emulator.dicom import command_set
from emulator.dicom.commands import send_encoded
from emulator.dicom.faults import (
    PROCEED,
    Faults,
    Verdict,
    association_event,
    retrieve_failures,
    summary,
)
from emulator.dicom.store_scu import StoreSCU
from emulator.errors import (
    CANCEL,
    PENDING,
    RETRIEVE_OUT_OF_RESOURCES_MATCHES,
    RETRIEVE_OUT_OF_RESOURCES_SUBOPS,
    RETRIEVE_SOME_FAILED,
    SUCCESS,
    error_comment,
    status_for,
)
from emulator.journal import MessageRecord
from emulator.logfmt import kv
from emulator.services import retrieve
from emulator.services.context import ServiceContext
from emulator.services.retrieve import Destination
from storage import Model, StorageError, parse_retrieve
from storage.index import Query

# seconds a C-MOVE destination may take to accept before the requestor gets a Pending response
NUDGE_AFTER = 0.05

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
        self.remaining -= 1
        if outcome == "failed":
            self.failed += 1
            self.failed_uids.append(sop_instance_uid)
        elif outcome == "warning":
            self.warning += 1
        else:
            self.completed += 1

    def as_dict(self) -> dict[str, int]:
        return {
            "completed": self.completed,
            "failed": self.failed,
            "warning": self.warning,
            "remaining": self.remaining,
        }


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

    def faulted(self, verdict: Verdict, counts: Counts | None = None) -> None:
        """End the request as a rule said: with its status, or with nothing (association
        gone)."""
        if verdict.answer is None:
            self.finish(None, "fault", "association ended by the scenario", counts)
            return
        status = int(verdict.answer.Status)
        comment = str(verdict.answer.get("ErrorComment", ""))
        failed = counts.failed_uids if counts is not None and status != SUCCESS else None
        self.respond(status, counts, comment, failed_uids=failed or None)
        self.finish(status, "fault", comment or "answered by the scenario", counts)

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

    def finish(
        self,
        status: int | None,
        outcome: str = "ok",
        detail: str = "",
        counts: Counts | None = None,
        **extra: Any,
    ) -> None:
        if counts is not None:
            extra = {**extra, **counts.as_dict()}
        self.ctx.journal.finish(
            self.record,
            status,
            outcome=outcome,  # type: ignore[arg-type]
            detail=detail,
            extra=extra,
        )
        log.info(kv_line(self.record, status))

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
            self.faulted(verdict)
            return False
        self.modifier = verdict.modifier
        self.fails = retrieve_failures(verdict.modifier)
        return True

    # -- the request -----------------------------------------------------------------------

    def run(self) -> None:
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
            model = RETRIEVE_MODELS[str(self.req.AffectedSOPClassUID)]
            request = parse_retrieve(identifier, model)
            total = self.ctx.index.count(request.query)
        except Exception as exc:
            status = status_for(self.service, exc)
            internal = not isinstance(exc, (StorageError, InvalidDicomError, ValueError))
            if internal:
                log.exception("internal error in %s", self.service)
            self.respond(status, comment=str(exc), offending=getattr(exc, "tag", None))
            self.finish(status, "error" if internal else "failure", str(exc))
            return
        self.ctx.journal.update(
            self.record, matches=total, extra={"model": model.value, "level": request.level.name}
        )
        if total > MAX_SUBOPERATIONS:
            comment = f"{total} matches: at most {MAX_SUBOPERATIONS} per request"
            self.respond(RETRIEVE_OUT_OF_RESOURCES_MATCHES, comment=comment)
            self.finish(RETRIEVE_OUT_OF_RESOURCES_MATCHES, "failure", comment)
            return
        destination = None
        if self.is_move:  # an unknown destination is 0xA801 whatever matches (C.4.2.1.4)
            destination = self.destination()
            if destination is None:
                return
        counts = Counts(total, total)
        if total == 0:  # PS3.4 C.4.2.1.4: no match is a success with no sub-operations
            self.respond(SUCCESS, counts)
            self.finish(SUCCESS, counts=counts)
            return
        if destination is not None:
            if not self.move(request.query, counts, destination):
                return
        elif not self.suboperations(self.assoc, request.query, counts):
            return
        self.final(counts)

    def destination(self) -> Destination | None:
        """The C-MOVE destination, or None once 0xA801 has been answered."""
        assert isinstance(self.req, C_MOVE)
        try:
            destination = retrieve.resolve_destination(
                str(self.req.MoveDestination or ""), self.assoc.requestor.address, self.ctx
            )
        except Exception as exc:
            status = status_for(self.service, exc)
            self.respond(status, comment=str(exc))
            self.finish(status, "failure", str(exc), destination=str(self.req.MoveDestination))
            return None
        where = f"{destination.ae_title}@{destination.host}:{destination.port}"
        self.ctx.journal.update(self.record, extra={"destination": where})
        return destination

    def move(self, query: Query, counts: Counts, destination: Destination) -> bool:
        """C-MOVE sub-operations, one sub-association per batch of at most 128 contexts.

        Returns False if the request already got its final response.
        """
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
                    counts.failed, counts.remaining = counts.remaining, 0
                    self.respond(RETRIEVE_OUT_OF_RESOURCES_SUBOPS, counts, comment)
                    self.finish(RETRIEVE_OUT_OF_RESOURCES_SUBOPS, "failure", comment, counts)
                    return False
                log.info("%s; its %d SOP classes fail", comment, len(batch.sop_classes))
                for row in self.ctx.index.iter_rows(part):
                    counts.record("failed", row["sop_instance_uid"])
                    self.respond(PENDING, counts)
                continue
            try:
                if not self.suboperations(sender, part, counts):
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

    def suboperations(self, sender: Association, query: Query, counts: Counts) -> bool:
        """Send every match, one at a time; False if the request ended early (cancel, abort).

        With no scenario active, each instance's C-STORE is in flight while the requestor
        gets the Pending response of the one before and the next instance is read (PS3.4
        leaves the pace of Pending responses to the SCP; each still reports the counts as
        they were). A scenario's rules see the strict order: sub-operation, response,
        Pending, next sub-operation."""
        originator = (self.assoc.acceptor.ae_title, self.req.MessageID) if self.is_move else ()
        with StoreSCU(sender, self.ctx, *originator) as scu:
            return self._suboperations(scu, query, counts)

    def _suboperations(self, scu: StoreSCU, query: Query, counts: Counts) -> bool:
        overlap = self.ctx.scenario.engine is None
        rows = self.ctx.index.iter_rows(query)
        row, ahead, pending_due = next(rows, None), None, False
        while row is not None:
            n = counts.total - counts.remaining + 1
            if not self.assoc.is_established:
                self.finish(CANCEL, "cancelled", "requestor went away", counts)
                return False
            if self.req.MessageID in self.assoc.dimse.cancel_req:
                del self.assoc.dimse.cancel_req[self.req.MessageID]
                # PS3.4 C.4.2.1.4: sub-operations terminated due to Cancel indication
                self.respond(CANCEL, counts, failed_uids=counts.failed_uids or None)
                self.finish(CANCEL, "cancelled", counts=counts)
                return False
            verdict = self.faults("suboperation")
            if verdict.ended:
                self.faulted(verdict, counts)
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
                self.faulted(response, counts)
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

    def final(self, counts: Counts) -> None:
        """The final response (PS3.4 C.4.2.1.5): Success, Warning 0xB000 or Failure 0xA702."""
        if not counts.failed and not counts.warning:
            self.respond(SUCCESS, counts)
            self.finish(SUCCESS, counts=counts)
            return
        status = (
            RETRIEVE_OUT_OF_RESOURCES_SUBOPS
            if counts.completed + counts.warning == 0
            else RETRIEVE_SOME_FAILED
        )
        comment = (
            f"{counts.failed} of {counts.failed + counts.completed + counts.warning}"
            " sub-operations failed"
            if counts.failed
            else ""
        )
        self.respond(status, counts, comment, failed_uids=counts.failed_uids or None)
        self.finish(status, "failure" if counts.failed else "ok", comment, counts)


def refusal(sender: Association, destination: retrieve.Destination) -> str:
    """Why the destination association failed, as far as pynetdicom can tell."""
    if sender.is_rejected:
        return f"destination {destination.ae_title} rejected the association"
    # pynetdicom does not tell a refused connection from an A-ABORT here
    return (
        f"destination {destination.ae_title} at {destination.host}:{destination.port}"
        " accepted no association"
    )


RETRIEVE_MODELS = {
    "1.2.840.10008.5.1.4.1.2.1.2": Model.PATIENT_ROOT,  # MOVE
    "1.2.840.10008.5.1.4.1.2.2.2": Model.STUDY_ROOT,
    "1.2.840.10008.5.1.4.1.2.3.2": Model.PATIENT_STUDY_ONLY,
    "1.2.840.10008.5.1.4.1.2.1.3": Model.PATIENT_ROOT,  # GET
    "1.2.840.10008.5.1.4.1.2.2.3": Model.STUDY_ROOT,
    "1.2.840.10008.5.1.4.1.2.3.3": Model.PATIENT_STUDY_ONLY,
}


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
