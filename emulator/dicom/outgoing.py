"""Associations the emulator requests (C-MOVE sub-associations, commitment reports).

They run on the event loops of :mod:`emulator.dicom.reactor` like accepted ones: the AE's
``_create_socket`` (:meth:`emulator.dicom.server.EmulatorAE._create_socket`) calls
:func:`prepare_outgoing` before pynetdicom connects, so every association the emulator
requests is an :class:`OutgoingAssociation` with an event-driven DUL and TCP_NODELAY (as
accepted sockets have; without it each message waits ~40 ms for a delayed ACK).

pynetdicom's ``send_*`` methods pause the association's loop before they send, then wait for
the response on the DIMSE queue. An association the emulator requested never serves requests,
so should its loop ever meet a response, the response goes back on the queue for the send that
waits on it (pynetdicom's own loop could slip past its checkpoint and drop one as
"unexpected"; seen once in ~1,200 C-MOVE sub-operations under load).
"""

from __future__ import annotations

import socket
from typing import Any

from pynetdicom.association import Association
from pynetdicom.transport import AddressInformation, AssociationSocket

from emulator.dicom.reactor import EventAssociation, install
from emulator.dicom.wire import FaultSocket, Wire


class OutgoingAssociation(EventAssociation):
    """A requestor association whose loop hands responses back to the waiting send."""

    def _serve_request(self, msg: Any, context_id: int) -> None:
        if not msg.is_valid_request and not self._sent_release:
            self.dimse.msg_queue.put((context_id, msg))
            return
        super()._serve_request(msg, context_id)


class OutgoingSocket(FaultSocket):
    """The socket of an outgoing association: TCP_NODELAY, and no faults on it."""

    def _create_socket(self, address: AddressInformation) -> socket.socket:
        sock = super()._create_socket(address)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def prepare_outgoing(
    assoc: Association, address: AddressInformation, tls_args: Any
) -> AssociationSocket:
    """Make *assoc*, just built by ``AE.associate`` and not yet started, an
    :class:`OutgoingAssociation` on event loops, and return its socket."""
    assoc.__class__ = OutgoingAssociation  # adds no state beyond what install() sets
    install(assoc)
    sock = OutgoingSocket.__new__(OutgoingSocket)
    sock.wire = Wire()
    AssociationSocket.__init__(sock, assoc, address=address)
    sock.tls_args = tls_args
    return sock
