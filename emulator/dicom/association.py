"""The emulator's association: pynetdicom's, with C-MOVE and C-GET served by our own SCP.

pynetdicom picks a service class per request inside ``Association._serve_request``; there is
no public hook to replace one service. The server's request handler therefore gives each new
association this subclass, which routes C-MOVE and C-GET requests to
:class:`~emulator.dicom.retrieve_scp.RetrieveSCP` and leaves every other request to
pynetdicom, with the same bookkeeping pynetdicom does around a service class (pausing the
reactor so sub-operations can use the association, clearing C-CANCEL requests).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pynetdicom import evt
from pynetdicom.association import Association
from pynetdicom.dimse_primitives import C_GET, C_MOVE, C_STORE
from pynetdicom.service_class import StorageServiceClass
from pynetdicom.transport import RequestHandler

from emulator.dicom.commands import CommandCheckingDIMSE
from emulator.dicom.contexts import RETIRED_STORAGE
from emulator.dicom.faults import FaultACSE
from emulator.dicom.retrieve_scp import RETRIEVE_MODELS, RetrieveSCP
from emulator.dicom.wire import FaultSocket, Wire

if TYPE_CHECKING:
    from emulator.dicom.context import ServiceContext
    from emulator.dicom.notifications import AssociationTracker

log = logging.getLogger("emulator.dicom")


class EmulatorAssociation(Association):
    """An acceptor association whose C-MOVE and C-GET requests the emulator serves."""

    service_context: ServiceContext
    tracker: AssociationTracker

    def _serve_request(self, msg: Any, context_id: int) -> None:
        if (
            isinstance(msg, C_STORE)
            and msg.is_valid_request
            and str(msg.AffectedSOPClassUID) in RETIRED_STORAGE
            and context_id in self._accepted_cx
            and not self._sent_release
        ):
            # pynetdicom knows no service class for these: serve them as any storage class
            self.dimse.cancel_req = {}
            self._is_paused = True
            try:
                StorageServiceClass(self).SCP(msg, self._accepted_cx[context_id])
            finally:
                self._is_paused = False
                self.dimse.cancel_req = {}
            return
        is_retrieve = isinstance(msg, (C_MOVE, C_GET)) and msg.is_valid_request
        if not is_retrieve or str(msg.AffectedSOPClassUID) not in RETRIEVE_MODELS:
            super()._serve_request(msg, context_id)
            return
        context = self._accepted_cx.get(context_id)
        if context is None or self._sent_release:
            super()._serve_request(msg, context_id)  # pynetdicom logs and aborts or ignores
            return
        ctx = self.service_context
        record = ctx.journal.start_message(
            self.tracker.get(self),
            int(msg.MessageID or 0),
            "C-MOVE" if isinstance(msg, C_MOVE) else "C-GET",
            sop_class=str(msg.AffectedSOPClassUID),
        )
        self.dimse.cancel_req = {}
        self._is_paused = True  # sub-operations of a C-GET use this association
        try:
            RetrieveSCP(self, msg, context, ctx, record).run()
        except Exception:
            log.exception("internal error serving %s", record.service)
            ctx.journal.finish(record, 0xC000, outcome="error", detail="internal error")
            self.abort()
        finally:
            self._is_paused = False
            self.dimse.cancel_req = {}


class EmulatorRequestHandler(RequestHandler):
    """Creates :class:`EmulatorAssociation` objects for the server's connections, with the
    scenario's ``connect`` phase before the association reads its A-ASSOCIATE-RQ."""

    def handle(self) -> None:
        assoc = self._create_association()
        self.server.associations.add(assoc)  # type: ignore[attr-defined]
        evt.trigger(assoc, evt.EVT_CONN_OPEN, {"address": self.client_address})
        ctx: ServiceContext = self.server.service_context  # type: ignore[attr-defined]
        tracker: AssociationTracker = self.server.tracker  # type: ignore[attr-defined]
        record = tracker.get(assoc)
        acse = assoc.acse
        if isinstance(acse, FaultACSE):
            acse.record = record  # for the release phase
        if ctx.scenario.engine is not None:
            ctx.faults.connect(assoc, self.request, record)
        assoc.start()

    def _create_association(self) -> Association:
        assoc = super()._create_association()
        # pynetdicom builds and configures the association; only classes change here, to
        # subclasses that add no state beyond the references set below.
        assoc.__class__ = EmulatorAssociation
        ctx: ServiceContext = self.server.service_context  # type: ignore[attr-defined]
        assoc.service_context = ctx  # type: ignore[attr-defined]
        assoc.tracker = self.server.tracker  # type: ignore[attr-defined]
        sock = assoc.dul.socket
        if sock is not None:
            sock.__class__ = FaultSocket
            sock.wire = Wire()  # type: ignore[attr-defined]
        assoc.acse.__class__ = FaultACSE
        assoc.dimse.__class__ = CommandCheckingDIMSE
        assoc.acse.faults = ctx.faults  # type: ignore[attr-defined]
        assoc.acse.record = None  # type: ignore[attr-defined]
        return assoc
