"""Byte-level faults: the association socket that throttles and cuts, and raw closes.

Every accepted association's pynetdicom socket becomes a :class:`FaultSocket`; a ``throttle``
or ``close`` rule sets its :class:`Wire`. What the socket sends is otherwise untouched.
"""

from __future__ import annotations

import select
import socket
import ssl
import struct
import time
from dataclasses import dataclass
from typing import cast

from pynetdicom import evt
from pynetdicom.transport import AssociationSocket

from emulator.scenario.engine import Engine

_MAX_READ = 1 << 20
TICK = 0.05  # seconds between checks for a peer that went away during a hang


@dataclass(slots=True)
class Wire:
    """Byte-level faults in force on one connection."""

    bytes_per_s: int = 0  # throttle; 0 = full speed
    close_after: int | None = None  # bytes still to send before the connection is cut
    close_mode: str = "fin"
    engine: Engine | None = None  # whose cancel ends a throttle's pauses


def close_socket(sock: socket.socket | None, mode: str) -> None:
    """Close *sock* with a FIN, or with a TCP reset (RST) when *mode* is ``reset``.

    A reader blocked in ``recv`` on another thread is woken first (SHUT_RD sends nothing), so
    that the reset really goes out when the socket is closed.
    """
    if sock is None:
        return
    try:
        if mode == "reset":
            sock.shutdown(socket.SHUT_RD)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        else:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the peer or by pynetdicom


class FaultSocket(AssociationSocket):
    """pynetdicom's association socket, with throttling and a cut after N bytes.

    It also serves the bytes the connection gate read ahead (the A-ASSOCIATE-RQ) before any
    from the network, tells readiness with ``poll`` (``select`` fails beyond descriptor 1023)
    and reads in pieces of up to 1 MiB instead of 4 KiB.
    """

    wire: Wire
    read_ahead: bytes = b""
    _polled: int = -1
    _poller: select.poll

    @property
    def has_pending(self) -> bool:
        return bool(self.read_ahead)

    @property
    def ready(self) -> bool:
        if self.read_ahead:
            return True
        sock = self.socket
        if sock is None or self._is_connected is False:
            return False
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        try:
            fd = sock.fileno()
            if fd < 0:
                raise ValueError("closed socket")
            if self._polled != fd:  # one poller per connection, not one per look
                self._poller = select.poll()
                self._poller.register(fd, select.POLLIN | select.POLLPRI | select.POLLHUP)
                self._polled = fd
            return bool(self._poller.poll(0))
        except (OSError, ValueError):
            self.event_queue.put("Evt17")
            return False

    def recv(self, nr_bytes: int) -> bytearray:
        buffer = bytearray()
        if self.read_ahead:
            buffer += self.read_ahead[:nr_bytes]
            self.read_ahead = self.read_ahead[nr_bytes:]
        sock = cast(socket.socket, self.socket)
        while len(buffer) < nr_bytes:
            # large reads, but never more than arrived: a PDU that announces 4 GiB and
            # sends 10 bytes costs 10 bytes
            chunk = sock.recv(min(nr_bytes - len(buffer), _MAX_READ))
            if not chunk:
                break  # short: pynetdicom sees fewer bytes than announced and closes
            buffer += chunk
        return buffer

    def send_buffers(self, buffers: list[bytes | memoryview]) -> None:
        """Send *buffers* one after the other without joining them (``sendmsg``: the
        kernel gathers them), as :meth:`send` would send their concatenation. With a
        throttle or cut in force, over TLS, or with an EVT_DATA_SENT handler bound, they
        are joined and sent by :meth:`send`."""
        sock = self.socket
        wire = self.wire
        if (
            wire.bytes_per_s
            or wire.close_after is not None
            or not isinstance(sock, socket.socket)
            or isinstance(sock, ssl.SSLSocket)
            or self.assoc.get_handlers(evt.EVT_DATA_SENT)
        ):
            self.send(b"".join(buffers))
            return
        try:
            for start in range(0, len(buffers), _IOV_BATCH):
                _sendmsg_all(sock, buffers[start : start + _IOV_BATCH])
        except Exception:
            self.event_queue.put("Evt17")

    def send(self, bytestream: bytes) -> None:
        wire = self.wire
        if not wire.bytes_per_s and wire.close_after is None:
            try:
                cast(socket.socket, self.socket).sendall(bytestream)
            except Exception:
                self.event_queue.put("Evt17")
                return
            evt.trigger(self.assoc, evt.EVT_DATA_SENT, {"data": bytestream})
            return
        data = bytes(bytestream)
        cut = False
        if wire.close_after is not None:
            cut = len(data) >= wire.close_after
            data = data[: wire.close_after]
            wire.close_after -= len(data)
        try:
            self._paced(data)
        except (OSError, AttributeError):  # closed meanwhile (socket None)
            self.event_queue.put("Evt17")
            return
        if cut:  # closed here: a poll already waiting on it would not see it
            close_socket(self.socket, wire.close_mode)
            self.event_queue.put("Evt17")

    def _paced(self, data: bytes) -> None:
        sock = cast(socket.socket, self.socket)
        rate = self.wire.bytes_per_s
        if not rate:
            sock.sendall(data)
            return
        chunk = max(1, rate // 20)  # about 20 writes a second
        for start in range(0, len(data), chunk):
            piece = data[start : start + chunk]
            sock.sendall(piece)
            engine = self.wire.engine
            if engine is not None and engine.wait(len(piece) / rate):
                sock.sendall(data[start + chunk :])  # cancelled: the rest at full speed
                return


_CLOSED_STATES = frozenset({7, 8, 9})  # Linux TCP_CLOSE, TCP_CLOSE_WAIT, TCP_LAST_ACK


_IOV_BATCH = 512  # buffers per sendmsg call, well below the system's IOV_MAX (1024)


def _sendmsg_all(sock: socket.socket, buffers: list[bytes | memoryview]) -> None:
    """``sendall`` for a list of buffers."""
    views = [memoryview(b) for b in buffers]
    first = 0
    while first < len(views):
        sent = sock.sendmsg(views[first:] if first else views)
        while first < len(views) and sent >= len(views[first]):
            sent -= len(views[first])
            first += 1
        if sent:
            views[first] = views[first][sent:]


def peer_closed(sock: socket.socket) -> bool:
    """True once the peer closed its side, even with unread data in the buffer (an
    A-ASSOCIATE-RQ sent before it gave up)."""
    try:
        if hasattr(socket, "TCP_INFO"):  # tcp_info's first byte is the connection state
            return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] in _CLOSED_STATES
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and not sock.recv(1, socket.MSG_PEEK)
    except (OSError, ValueError):
        return True


def hang_socket(sock: socket.socket, seconds: float, engine: Engine) -> None:
    """:func:`hang` before there is an association: until the peer closes, too."""
    deadline = time.monotonic() + seconds if seconds else None
    while not engine.wait(TICK):
        if deadline is not None and time.monotonic() >= deadline:
            return
        if peer_closed(sock):
            return
