"""The pynetdicom AE and its association server."""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
import weakref
from typing import Any, cast

from pynetdicom import AE
from pynetdicom.association import Association
from pynetdicom.transport import (
    AddressInformation,
    AssociationSocket,
    ThreadedAssociationServer,
)

from emulator.config import DicomConfig
from emulator.dicom.association import EmulatorRequestHandler, Handoff, blank
from emulator.dicom.checked_values import cache_uids
from emulator.dicom.contexts import context_index, share_contexts, supported_contexts
from emulator.dicom.gate import ConnectionGate, GateHooks
from emulator.dicom.handlers import handlers
from emulator.dicom.notifications import AssociationTracker, end_unassociated
from emulator.dicom.outgoing import prepare_outgoing
from emulator.journal import AssociationRecord
from emulator.services.context import ServiceContext
from emulator.version import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME

log = logging.getLogger("emulator.dicom")


class GatedServer(ThreadedAssociationServer):
    """pynetdicom's association server, listening through a :class:`ConnectionGate`: a
    connection gets an association (and its threads) only once its A-ASSOCIATE-RQ is in.

    Accepted sockets get TCP_NODELAY (without it every DIMSE message waits ~40 ms for a
    delayed ACK, Nagle's algorithm).
    """

    daemon_threads = True
    # socketserver's listen() backlog is 5: a burst of modalities connecting at once (or a
    # loaded machine slow to accept) would see connections dropped before any association
    request_queue_size = 128

    def __init__(
        self,
        *args: Any,
        service_context: ServiceContext,
        tracker: AssociationTracker,
        **kwargs: Any,
    ) -> None:
        # Read by EmulatorRequestHandler for every association (C-MOVE/C-GET are ours).
        self.service_context = service_context
        self.tracker = tracker
        self.associations: weakref.WeakSet[Any] = weakref.WeakSet()  # joined at stop
        self._handoffs: dict[int, Handoff] = {}
        self._handoff_lock = threading.Lock()
        self._spare: Any = None  # the next association's objects, built ahead (prepare)
        self._spare_lock = threading.Lock()  # taken by the gate and any handoff thread
        super().__init__(*args, **kwargs)
        # the listener's address, as each accepted association's acceptor reports it
        self.local_address = AddressInformation.from_tuple(self.server_address)
        self.context_index = context_index(self.contexts)  # what each negotiation looks up
        dicom = service_context.config.dicom
        self.gate = ConnectionGate(
            cast(socket.socket, self.socket),
            GateHooks(
                admit=self._admit,
                handoff=self._handoff,
                close=self._closed,
                direct=self._direct,
                prepare=self.prepare,
            ),
            first_pdu_timeout=dicom.first_pdu_timeout,
            max_pending=dicom.max_pending_connections,
            tls=self.ssl_context,
        )

    def get_request(self) -> tuple[socket.socket, tuple[str, int]]:
        raise NotImplementedError("connections are accepted by the gate")  # pragma: no cover

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self.gate.serve()

    def shutdown(self) -> None:
        """Stop serving and close the socket (the AE's server list is not used)."""
        self.gate.stop()
        self.gate.stopped.wait(10)
        spare = self.take_spare()
        if spare is not None:
            spare.discard()
        self.server_close()

    def prepare(self) -> bool:
        """The gate's quiet moment: build the next association's objects (``blank``) and
        start its two threads, parked until a connection takes them."""
        if self._spare is None:
            spare = None
            try:
                spare = blank(self)
                spare.park()  # its threads started too, waiting for a connection
            except Exception:  # a bug: one line and a traceback; associations build their own
                log.exception("could not prepare an association")
                if spare is not None:
                    spare.discard()  # a thread parked before the failure ends
                return True
            with self._spare_lock:
                self._spare = spare
        return True

    def take_spare(self) -> Any:
        """The association objects :meth:`prepare` built, once (None: none ready)."""
        with self._spare_lock:
            spare, self._spare = self._spare, None
        return spare

    def drain(self, grace: float) -> int:
        """Give associations in flight *grace* seconds, abort the rest, and wait for every
        association's threads to end (nothing logs once the emulator is gone: a test's log
        capture closes after it). Returns how many were aborted."""
        deadline = time.monotonic() + grace
        while self.active_associations and time.monotonic() < deadline:
            time.sleep(0.02)
        remaining = self.active_associations
        for assoc in remaining:
            assoc.abort()
        deadline = time.monotonic() + 5
        for assoc in list(self.associations):
            for thread in (assoc, assoc.dul):
                if thread.ident is not None and thread is not threading.current_thread():
                    thread.join(max(0.0, deadline - time.monotonic()))
        return len(remaining)

    # -- the gate's hooks ------------------------------------------------------------------

    def _admit(self, address: tuple[Any, ...]) -> AssociationRecord:
        return self.service_context.journal.open_association(f"{address[0]}:{address[1]}")

    def _direct(self) -> bool:
        engine = self.service_context.scenario.engine
        return engine is not None and engine.has_phase("connect")

    def _handoff(
        self, sock: socket.socket, address: tuple[Any, ...], data: bytes, record: Any, gated: bool
    ) -> None:
        with self._handoff_lock:
            self._handoffs[id(sock)] = Handoff(data, record, gated)
        if gated:  # only a few objects to build: done here, no thread to start for it
            try:
                self.finish_request(sock, address)
            except Exception:
                self.pop_handoff(sock)
                raise
        else:  # the scenario's connect phase may hang: a thread of its own
            self.process_request(sock, address)

    def _closed(self, record: AssociationRecord, why: str) -> None:
        end_unassociated(self.service_context, record, why)

    def pop_handoff(self, sock: socket.socket) -> Handoff:
        """What the gate passed on with *sock* (read once, by EmulatorRequestHandler)."""
        with self._handoff_lock:
            return self._handoffs.pop(id(sock), Handoff())


class EmulatorAE(AE):
    """pynetdicom's AE, whose association limit counts only connections that sent their
    A-ASSOCIATE-RQ: pynetdicom counts every accepted connection, so 60 that send 8 bytes and
    wait would lock every modality out until their ACSE timeout."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negotiating: set[Association] = set()  # negotiated before their threads start
        self._negotiating_lock = threading.Lock()

    def negotiating(self, assoc: Association, now: bool) -> None:
        """*assoc* is negotiating in another thread than its own (``accept_inline``), or
        no longer: it counts against the association limit as a running one would."""
        with self._negotiating_lock:
            if now:
                self._negotiating.add(assoc)
            else:
                self._negotiating.discard(assoc)

    @property
    def active_associations(self) -> list[Association]:
        with self._negotiating_lock:
            negotiating = list(self._negotiating)
        return negotiating + [
            assoc
            for assoc in super().active_associations
            if (not assoc.is_acceptor or assoc.requestor.primitive is not None)
            and assoc not in negotiating  # its thread is starting
        ]

    def _create_socket(
        self, assoc: Association, address: AddressInformation, tls_args: Any
    ) -> AssociationSocket:
        """Every association this AE requests runs on the emulator's event loops."""
        return prepare_outgoing(assoc, address, tls_args)


def build_ae(config: DicomConfig) -> AE:
    """An AE with the emulator's identity, limits, timeouts and contexts."""
    cache_uids()
    ae = EmulatorAE(ae_title=config.ae_title)
    ae.implementation_class_uid = IMPLEMENTATION_CLASS_UID
    ae.implementation_version_name = IMPLEMENTATION_VERSION_NAME
    ae.maximum_associations = config.max_associations
    # PS3.8 9.3.4: rejected permanent by the service user, reasons 3 and 7
    ae.require_calling_aet = config.calling_aes
    ae.require_called_aet = config.require_called_ae
    ae.maximum_pdu_size = config.max_pdu
    ae.network_timeout = config.network_timeout
    ae.dimse_timeout = config.dimse_timeout
    ae.acse_timeout = config.acse_timeout
    ae.connection_timeout = config.acse_timeout  # C-MOVE sub-association TCP connect
    share_contexts(ae, supported_contexts())
    return ae


def tls_context(config: DicomConfig) -> ssl.SSLContext | None:
    """The server TLS context of the listener, or None for plain TCP (raises OSError or
    ssl.SSLError for unusable files)."""
    if config.tls_cert is None or config.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(config.tls_cert, config.tls_key)
    if config.tls_ca is not None:
        context.load_verify_locations(cafile=config.tls_ca)
        context.verify_mode = ssl.CERT_REQUIRED  # mutual TLS: no certificate, no association
    return context


def start_server(
    ae: AE, config: DicomConfig, ctx: ServiceContext
) -> tuple[GatedServer, threading.Thread]:
    """Bind the listener (raises OSError if it cannot) and serve it in a named thread."""
    tracker = AssociationTracker()
    server = cast(
        GatedServer,
        ae.make_server(
            (config.host, config.port),
            evt_handlers=handlers(ctx, tracker),
            server_class=GatedServer,
            ssl_context=tls_context(config),
            request_handler=EmulatorRequestHandler,
            service_context=ctx,
            tracker=tracker,
        ),
    )
    thread = threading.Thread(
        target=server.serve_forever,
        name="dicom-listener",
        daemon=True,
    )
    thread.start()
    return server, thread
