"""The emulator's association: pynetdicom's, with C-FIND, C-MOVE and C-GET served by our own
SCPs.

pynetdicom picks a service class per request inside ``Association._serve_request``; there is
no public hook to replace one service. The server's request handler therefore gives each new
association this subclass, which routes C-FIND requests to
:class:`~emulator.dicom.find_scp.FindSCP`, C-MOVE and C-GET requests to
:class:`~emulator.dicom.retrieve_scp.RetrieveSCP`, and leaves every other request to
pynetdicom, with the same bookkeeping pynetdicom does around a service class (pausing the
reactor so sub-operations can use the association, clearing C-CANCEL requests).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from pynetdicom import evt
from pynetdicom._globals import MODE_ACCEPTOR
from pynetdicom.dimse_primitives import C_FIND, C_GET, C_MOVE, C_STORE
from pynetdicom.presentation import PresentationContext
from pynetdicom.service_class import StorageServiceClass
from pynetdicom.transport import RequestHandler

from emulator.dicom import find_scp
from emulator.dicom.commands import CommandCheckingDIMSE
from emulator.dicom.contexts import (
    FIND_MODELS,
    RETIRED_STORAGE,
    RETRIEVE_MODELS,
    ModalityWorklistInformationFind,
)
from emulator.dicom.faults import FaultACSE, Faults
from emulator.dicom.find_scp import FindSCP
from emulator.dicom.handler_table import handlers_with
from emulator.dicom.reactor import EventAssociation
from emulator.dicom.wire import FaultSocket, Wire

if TYPE_CHECKING:
    from emulator.dicom.notifications import AssociationTracker
    from emulator.journal import AssociationRecord
    from emulator.services.context import ServiceContext

log = logging.getLogger("emulator.dicom")


@dataclass(frozen=True, slots=True)
class Handoff:
    """What the connection gate passes on with a connection."""

    read_ahead: bytes = b""  # the first PDU (or the first bytes), already read
    record: AssociationRecord | None = None  # the journal record opened at accept
    gated: bool = False  # False: the scenario's connect phase has not run yet


class EmulatorAssociation(EventAssociation):
    """An acceptor association whose C-MOVE and C-GET requests the emulator serves, driven
    by the event loops of :mod:`emulator.dicom.reactor`."""

    service_context: ServiceContext
    tracker: AssociationTracker
    # the server's supported contexts by abstract syntax (contexts.proposed_only)
    context_index: dict[str, PresentationContext] | None = None
    acse_class = FaultACSE
    dimse_class = CommandCheckingDIMSE

    def _serve_request(self, msg: Any, context_id: int) -> None:
        context = self._accepted_cx.get(context_id)
        if context is None or self._sent_release or not msg.is_valid_request:
            super()._serve_request(msg, context_id)  # pynetdicom logs and aborts or ignores
            return
        sop_class = str(getattr(msg, "AffectedSOPClassUID", None) or "")
        if isinstance(msg, C_STORE) and sop_class in RETIRED_STORAGE:
            # pynetdicom knows no service class for these: serve them as any storage class
            self._serve(lambda: StorageServiceClass(self).SCP(msg, context))
        elif isinstance(msg, C_FIND) and self._is_own_find(sop_class, context):
            batch = self.service_context.scenario.engine is None
            self._serve(lambda: FindSCP(self, msg, context, batch).run())
        elif isinstance(msg, (C_MOVE, C_GET)) and sop_class in RETRIEVE_MODELS:
            self._serve(lambda: self._retrieve(msg, context))
        else:
            super()._serve_request(msg, context_id)

    def _serve(self, service: Callable[[], None]) -> None:
        """Run *service* with the bookkeeping pynetdicom does around a service class: the
        loop paused (sub-operations of a C-GET use this association), C-CANCELs cleared."""
        self.dimse.cancel_req = {}
        self._is_paused = True
        try:
            service()
        finally:
            self._is_paused = False
            self.dimse.cancel_req = {}

    def _is_own_find(self, sop_class: str, context: PresentationContext) -> bool:
        """A C-FIND of a class the emulator answers, on a context of that class, is for
        :class:`~emulator.dicom.find_scp.FindSCP` (pynetdicom answers anything else)."""
        return (
            str(context.abstract_syntax) == sop_class
            and (sop_class in FIND_MODELS or sop_class == ModalityWorklistInformationFind)
            and find_scp.serves(self)
        )

    def _retrieve(self, msg: C_GET | C_MOVE, context: PresentationContext) -> None:
        ctx = self.service_context
        record = ctx.journal.start_message(
            self.tracker.get(self),
            int(msg.MessageID or 0),
            "C-MOVE" if isinstance(msg, C_MOVE) else "C-GET",
            sop_class=str(msg.AffectedSOPClassUID),
        )
        try:
            # imported with the first C-MOVE or C-GET, not before the listener starts
            from emulator.dicom.retrieve_scp import RetrieveSCP

            RetrieveSCP(self, msg, context, ctx, record).run()
        except Exception:
            log.exception("internal error serving %s", record.service)
            ctx.journal.finish(record, 0xC000, outcome="error", detail="internal error")
            self.abort()


class EmulatorRequestHandler(RequestHandler):
    """Creates :class:`EmulatorAssociation` objects for the server's connections, with the
    scenario's ``connect`` phase before the association reads its A-ASSOCIATE-RQ."""

    handoff: Handoff

    def handle(self) -> None:
        server: Any = self.server  # a GatedServer
        self.handoff = server.pop_handoff(self.request)
        assoc = self._create_association()
        try:
            self._start(assoc)
        except BaseException:
            assoc.discard()  # threads started ahead and never let go would wait forever
            raise

    def _start(self, assoc: EmulatorAssociation) -> None:
        """Note the association, run the scenario's connect phase or answer it at once, and
        start (or let go) its threads."""
        server: Any = self.server
        server.associations.add(assoc)
        tracker: AssociationTracker = server.tracker
        ctx: ServiceContext = server.service_context
        # the journal record the connection gate opened when it accepted the connection
        record = self.handoff.record or ctx.journal.open_association(
            f"{self.client_address[0]}:{self.client_address[1]}"
        )
        tracker.put(assoc, record)
        evt.trigger(assoc, evt.EVT_CONN_OPEN, {"address": self.client_address})
        acse = assoc.acse
        if isinstance(acse, FaultACSE):
            acse.record = record  # for the release phase
        engine = ctx.scenario.engine
        if engine is not None and not self.handoff.gated:
            Faults.of(ctx).connect(assoc, self.request, record)
        if self.handoff.gated and (engine is None or not engine.has_phase("associate")):
            assoc.accept_inline()  # nothing of a scenario's to wait for: answered at once
        assoc.start()

    def _create_association(self) -> EmulatorAssociation:
        """pynetdicom's ``RequestHandler._create_association``, building our classes, and
        sharing the server's presentation contexts instead of a deep copy per association
        (negotiation builds new contexts; it never changes the supported ones). The part
        that does not depend on the connection is usually built already (:func:`blank`)."""
        server: Any = self.server  # a GatedServer
        ctx: ServiceContext = server.service_context
        assoc = server.take_spare() or blank(server)
        assoc._server = server
        assoc.name = f"AcceptorThread@{datetime.now():%Y%m%d%H%M%S}"
        assoc.service_context = ctx
        assoc.tracker = server.tracker
        ae = self.ae  # its timeouts as they are now (a spare may be older than a change)
        assoc.acse_timeout, assoc.dimse_timeout = ae.acse_timeout, ae.dimse_timeout
        assoc.network_timeout, assoc.connection_timeout = ae.network_timeout, ae.connection_timeout
        sock = FaultSocket(assoc, client_socket=self.request)
        sock.wire = Wire()
        sock.read_ahead = self.handoff.read_ahead
        assoc.set_socket(sock)
        acceptor = assoc.acceptor
        acceptor.maximum_length = ae.maximum_pdu_size
        acceptor.ae_title = server.ae_title
        acceptor.address_info = server.local_address
        acceptor.implementation_class_uid = ae.implementation_class_uid
        acceptor.implementation_version_name = ae.implementation_version_name
        acceptor.supported_contexts = list(server.contexts)
        assoc.context_index = server.context_index
        assoc.requestor.address_info = self.remote
        acse = cast(FaultACSE, assoc.acse)
        acse.faults = Faults.of(ctx)
        acse.record = None
        return assoc


def blank(server: Any) -> EmulatorAssociation:
    """An accepted association's objects before its connection is known: its ACSE, DIMSE
    and DUL providers (queues, timers, a wake-up descriptor) and its handler table, ~0.15 ms
    to build; the connection gate has them built in a quiet moment after each handoff
    (``GatedServer.prepare``), off the path from A-ASSOCIATE-RQ to A-ASSOCIATE-AC."""
    assoc = EmulatorAssociation(server.ae, MODE_ACCEPTOR)
    assoc._handlers = handlers_with(server._handlers)  # as bind() would, at once
    return assoc
