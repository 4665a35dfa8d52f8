"""Associations the emulator requests (C-MOVE sub-associations, commitment reports).

pynetdicom's ``send_*`` methods pause the association's reactor before they send, then wait
for the response on the DIMSE queue. The pause is checked through a flag the reactor sets just
before it waits, so the reactor can slip past its checkpoint at that moment, take the response
off the queue itself and drop it as "unexpected"; the sender then waits out the DIMSE timeout
(seen once in ~1,200 C-MOVE sub-operations under load). An association the emulator requested
never serves requests, so a response its reactor meets goes back on the queue for the send
that waits on it.
"""

from __future__ import annotations

import socket
from typing import Any

from pynetdicom.association import Association


class OutgoingAssociation(Association):
    """A requestor association whose reactor hands responses back to the waiting send."""

    def _serve_request(self, msg: Any, context_id: int) -> None:
        if not msg.is_valid_request and not self._sent_release:
            self.dimse.msg_queue.put((context_id, msg))
            return
        super()._serve_request(msg, context_id)


def outgoing(assoc: Association) -> Association:
    """*assoc*, established by ``AE.associate``, made an :class:`OutgoingAssociation` with
    TCP_NODELAY (as accepted sockets have; without it each message waits ~40 ms for a delayed
    ACK)."""
    assoc.__class__ = OutgoingAssociation  # no state of its own: only the method changes
    sock = assoc.dul.socket.socket if assoc.dul.socket else None
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return assoc
