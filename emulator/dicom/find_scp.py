"""C-FIND SCP (PS3.4 C.4.1.3 and K.4.1.3), driving the EVT_C_FIND handler in place of
pynetdicom's loop.

pynetdicom's Query/Retrieve and Basic Worklist service classes run the handler's generator and
send each response through pydicom and the DUL, one PDU and one write per match. Here the same
handler runs with the same contract (the statuses of PS3.4 Table C.4-1, a handler exception
answered 0xC311, an identifier that cannot be encoded 0xC312, the final Success after the last
Pending), and:

- each identifier is encoded by :func:`emulator.dicom.identifiers.encode`, and each Pending
  response's command set is written once per request (:mod:`emulator.dicom.command_set`);
- a Pending response is one PDU holding the command and the identifier;
- with no scenario active, Pending responses are written in batches (up to
  :data:`BATCH_BYTES`, or whatever is ready after :data:`BATCH_SECONDS`), not one write each.
  With a scenario, each goes out before the next match is looked at, so a rule's delay or
  abort between two responses happens between them on the wire too.

:func:`serves` tells when this SCP is used: not when pynetdicom's debug log is on (its
service classes log every response) or a handler is bound to EVT_DIMSE_SENT (it expects
pynetdicom's message objects).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from pydicom.uid import UID
from pynetdicom import evt
from pynetdicom.association import Association
from pynetdicom.dimse_primitives import C_FIND
from pynetdicom.presentation import PresentationContext
from pynetdicom.service_class import QueryRetrieveServiceClass, attempt
from pynetdicom.status import (
    QR_FIND_SERVICE_CLASS_STATUS,
    STATUS_PENDING,
    STATUS_WARNING,
)

from emulator.dicom import command_set, identifiers
from emulator.dicom.commands import send_messages

log = logging.getLogger("emulator.dicom")

BATCH_BYTES = 64 * 1024  # Pending responses written at once, at most
BATCH_SECONDS = 0.02  # and never held longer than this

HANDLER_FAILED = 0xC311  # pynetdicom's: exception in the EVT_C_FIND handler
CANNOT_ENCODE = 0xC312  # pynetdicom's: the handler's identifier cannot be encoded


def serves(assoc: Association) -> bool:
    """Whether C-FIND requests on *assoc* go through :class:`FindSCP`."""
    return not assoc.get_handlers(evt.EVT_DIMSE_SENT) and not logging.getLogger(
        "pynetdicom"
    ).isEnabledFor(logging.DEBUG)


class FindSCP:
    """One C-FIND request, from the handler's first yield to the final response."""

    def __init__(
        self, assoc: Association, req: C_FIND, context: PresentationContext, batch: bool
    ) -> None:
        self.assoc, self.req, self.context = assoc, req, context
        self.context_id = int(context.context_id or 0)
        self.syntax = UID(context.transfer_syntax[0])
        self.batch = batch
        self.service = QueryRetrieveServiceClass(assoc)  # validate_status, is_cancelled
        self.service.statuses = QR_FIND_SERVICE_CLASS_STATUS  # the Basic Worklist's too
        self.sop_class = str(req.AffectedSOPClassUID)
        self.message_id = int(req.MessageID or 0)
        self._commands: dict[int, bytes] = {}  # Pending command set per status
        self._held: list[tuple[bytes, bytes]] = []
        self._held_bytes = 0
        self._held_since = 0.0

    def run(self) -> None:
        rsp = C_FIND()
        rsp.MessageIDBeingRespondedTo = self.req.MessageID
        rsp.AffectedSOPClassUID = self.req.AffectedSOPClassUID
        with attempt(rsp, self.assoc.dimse, self.context_id, self.assoc) as guard:
            guard.error_msg = "Exception in handler bound to 'evt.EVT_C_FIND'"
            guard.error_status = HANDLER_FAILED
            results = evt.trigger(
                self.assoc,
                evt.EVT_C_FIND,
                {
                    "request": self.req,
                    "context": self.context.as_tuple,
                    "_is_cancelled": self.service.is_cancelled,
                },
            )
        if not guard.success or not self.assoc.is_established:
            return
        for status, identifier in self._results(results or iter([(0x0000, None)])):
            if not self.assoc.is_established:
                return
            rsp.Identifier = None
            rsp = self.service.validate_status(status, rsp)
            code = int(rsp.Status or 0)
            category = QR_FIND_SERVICE_CLASS_STATUS.get(code, ("Unknown",))[0]
            if category == STATUS_PENDING:
                encoded = identifiers.encode(identifier, self.syntax) if identifier else None
                if encoded:
                    self._pending(code, encoded)
                    continue
                log.warning(
                    "assoc=%s msg=%s cannot encode a C-FIND response identifier: 0x%04X",
                    self.assoc.name,
                    self.message_id,
                    CANNOT_ENCODE,
                )
                rsp.Status = CANNOT_ENCODE
            self._flush()
            self.assoc.dimse.send_msg(rsp, self.context_id)
            if category != STATUS_WARNING:
                return
        self._flush()
        if self.assoc.is_established:
            rsp.Identifier = None
            rsp.Status = 0x0000
            self.assoc.dimse.send_msg(rsp, self.context_id)

    def _results(self, results: Any) -> Any:
        """The handler's yields while the association lasts; an exception in the handler
        ends them with 0xC311, as in pynetdicom."""
        acse = self.assoc.acse
        try:
            for result in results:
                if acse.is_aborted() or acse.is_release_requested():
                    return
                yield result
        except Exception as exc:
            log.error(
                "assoc=%s msg=%s exception in the C-FIND handler: %s",
                self.assoc.name,
                self.message_id,
                f"{type(exc).__name__}: {exc}"[:200],
            )
            yield HANDLER_FAILED, None

    def _pending(self, code: int, identifier: bytes) -> None:
        command = self._commands.get(code)
        if command is None:
            command = command_set.response(
                command_set.C_FIND_RSP, self.message_id, self.sop_class, code, data_set=True
            )
            self._commands[code] = command
        if not self._held:
            self._held_since = time.monotonic()
        self._held.append((command, identifier))
        self._held_bytes += len(command) + len(identifier)
        if (
            not self.batch
            or self._held_bytes >= BATCH_BYTES
            or time.monotonic() - self._held_since >= BATCH_SECONDS
        ):
            self._flush()

    def _flush(self) -> None:
        if self._held:
            send_messages(self.assoc, self.context_id, self._held)
            self._held = []
            self._held_bytes = 0
