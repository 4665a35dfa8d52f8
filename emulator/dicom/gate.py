"""The connection gate: accepted connections wait here, in one thread for all, until their
A-ASSOCIATE-RQ has arrived.

pynetdicom gives every accepted connection an association and two threads at once, and that
association waits for its A-ASSOCIATE-RQ for the whole ACSE timeout. Port scanners, health
checks, silent or half-open connections and peers that send a few bytes and stop would each
hold threads and memory for that long. Here a connection costs a socket and a small buffer
until its first PDU is complete; only then is it handed to pynetdicom, with the bytes read so
far (:attr:`emulator.dicom.wire.FaultSocket.read_ahead`).

- The first PDU has a deadline of its own (``dicom.first_pdu_timeout``); a connection that
  misses it is closed.
- At most ``dicom.max_pending_connections`` connections wait; beyond that the one that has
  waited longest is closed, so a flood of idle connections cannot lock new clients out.
- A first PDU that is not an A-ASSOCIATE-RQ is handed over at once: pynetdicom answers it as
  the state machine says (an A-ABORT).
- TLS handshakes happen here too, without blocking, under the same deadline.

The gate is also the listener: the listening socket is one more descriptor in its selector,
and stopping it is a wake-up, not a poll interval.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import ssl
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.dicom.wakeup import Wakeup
from emulator.logfmt import kv

log = logging.getLogger("emulator.dicom")

A_ASSOCIATE_RQ = 0x01
MAX_ASSOCIATE_RQ = 1 << 20  # a real one is a few kB; user identity assertions well under this
_CHUNK = 65536
PREPARE_AFTER = 0.005  # seconds of quiet after a handoff before preparing the next one


@dataclass(slots=True)
class Pending:
    """A connection waiting for its first PDU."""

    sock: socket.socket
    address: tuple[Any, ...]
    deadline: float
    record: Any
    data: bytearray = field(default_factory=bytearray)
    handshaking: bool = False


@dataclass(frozen=True, slots=True)
class GateHooks:
    """What the gate asks of the server around it."""

    admit: Callable[[tuple[Any, ...]], Any]  # a new connection → its journal record
    handoff: Callable[[socket.socket, tuple[Any, ...], bytes, Any, bool], None]
    close: Callable[[Any, str], None]  # record, why: the connection ended at the gate
    direct: Callable[[], bool]  # True: hand connections over at once (connect-phase rules)
    # In a quiet moment after a handoff: make ready what the next one needs (True: ready)
    prepare: Callable[[], bool] = lambda: True


class ConnectionGate:
    """Accepts connections on *listener* and holds each until its A-ASSOCIATE-RQ is in."""

    def __init__(
        self,
        listener: socket.socket,
        hooks: GateHooks,
        *,
        first_pdu_timeout: float,
        max_pending: int,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._listener = listener
        self._hooks = hooks
        self._timeout = first_pdu_timeout
        self._max_pending = max_pending
        self._tls = tls
        self._pending: OrderedDict[int, Pending] = OrderedDict()
        self._selector = selectors.DefaultSelector()
        self._wakeup = Wakeup()
        self._stopping = False
        self._prepared = False  # the hooks' prepare() said ready since the last handoff
        self.stopped = threading.Event()

    @property
    def waiting(self) -> int:
        """Connections waiting for their first PDU (read from any thread: a snapshot)."""
        return len(self._pending)

    def serve(self) -> None:
        """Run until :meth:`stop` (in the listener's thread)."""
        listener = self._listener
        listener.setblocking(False)
        self._selector.register(listener, selectors.EVENT_READ, "accept")
        self._selector.register(self._wakeup.fileno(), selectors.EVENT_READ, "wake")
        try:
            while not self._stopping:
                ready = self._selector.select(self._next_wait())
                for key, events in ready:
                    if key.data == "accept":
                        self._accept()
                    elif key.data == "wake":
                        self._wakeup.clear()
                    else:
                        self._ready(key.data, events)
                self._expire()
                if not ready and not self._prepared:
                    self._prepared = self._hooks.prepare()
        finally:
            for pending in list(self._pending.values()):
                self._drop(pending, "the server stopped")
            self._selector.close()
            self._wakeup.close()
            self.stopped.set()

    def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()

    def _next_wait(self) -> float | None:
        """Until the oldest waiting connection's deadline; at most :data:`PREPARE_AFTER`
        while the next handoff is not prepared (the wait ending with nothing to do is the
        quiet moment to prepare it, once the last association is under way)."""
        wait = None
        if self._pending:
            oldest = next(iter(self._pending.values()))  # deadlines grow with arrival order
            wait = max(0.0, oldest.deadline - time.monotonic())
        if not self._prepared:
            wait = PREPARE_AFTER if wait is None else min(wait, PREPARE_AFTER)
        return wait

    def _accept(self) -> None:
        for _ in range(64):  # a burst, then let the waiting connections have a turn
            try:
                sock, address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of descriptors, say: the connection stays queued
                log.warning(kv(event="accept-failed", error=exc.strerror or str(exc)))
                return
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._admit(sock, address)

    def _admit(self, sock: socket.socket, address: tuple[Any, ...]) -> None:
        record = self._hooks.admit(address)
        if self._hooks.direct():
            self._handoff(sock, address, b"", record, gated=False)
            return
        pending = Pending(sock, address, time.monotonic() + self._timeout, record)
        try:
            sock.setblocking(False)
            if self._tls is not None:
                pending.sock = self._tls.wrap_socket(
                    sock, server_side=True, do_handshake_on_connect=False
                )
                pending.handshaking = True
            self._selector.register(pending.sock, selectors.EVENT_READ, pending)
        except (OSError, ValueError) as exc:
            self._end(pending, f"could not be set up ({exc})")
            return
        self._pending[pending.sock.fileno()] = pending
        if len(self._pending) > self._max_pending:
            oldest = next(iter(self._pending.values()))
            self._drop(
                oldest,
                f"more than {self._max_pending} connections were waiting for their"
                " A-ASSOCIATE-RQ (dicom.max_pending_connections); this one waited longest",
            )

    def _ready(self, pending: Pending, events: int) -> None:
        sock = pending.sock
        try:
            if pending.handshaking:
                self._handshake(pending)
                if pending.handshaking:
                    return
            while True:
                chunk = sock.recv(_CHUNK)
                if not chunk:
                    self._drop(pending, "closed by the peer before an A-ASSOCIATE-RQ")
                    return
                pending.data += chunk
                if self._complete(pending):
                    return
                if not isinstance(sock, ssl.SSLSocket) or not sock.pending():
                    return
        except (ssl.SSLWantReadError, BlockingIOError, InterruptedError):
            return
        except ssl.SSLWantWriteError:
            self._selector.modify(sock, selectors.EVENT_WRITE, pending)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
            self._drop(pending, f"connection error before an A-ASSOCIATE-RQ: {reason}")

    def _handshake(self, pending: Pending) -> None:
        sock = pending.sock
        assert isinstance(sock, ssl.SSLSocket)
        try:
            sock.do_handshake()
        except ssl.SSLWantReadError:
            self._selector.modify(sock, selectors.EVENT_READ, pending)
            return
        except ssl.SSLWantWriteError:
            self._selector.modify(sock, selectors.EVENT_WRITE, pending)
            return
        pending.handshaking = False
        self._selector.modify(sock, selectors.EVENT_READ, pending)

    def _complete(self, pending: Pending) -> bool:
        """Hand *pending* over once its first PDU is in; True when it left the gate."""
        data = pending.data
        if len(data) < 6:
            return False
        pdu_type, _, length = struct.unpack(">BBL", bytes(data[:6]))
        if pdu_type == A_ASSOCIATE_RQ and length > MAX_ASSOCIATE_RQ:
            self._drop(
                pending,
                f"an A-ASSOCIATE-RQ of {length} bytes (the limit is {MAX_ASSOCIATE_RQ})",
            )
            return True
        if pdu_type == A_ASSOCIATE_RQ and len(data) < 6 + length:
            return False
        self._forget(pending)
        self._handoff(pending.sock, pending.address, bytes(data), pending.record, gated=True)
        return True

    def _handoff(
        self, sock: socket.socket, address: tuple[Any, ...], data: bytes, record: Any, gated: bool
    ) -> None:
        self._prepared = False
        try:
            sock.setblocking(True)
            self._hooks.handoff(sock, address, data, record, gated)
        except Exception:  # a bug: one line and a traceback, and the gate goes on
            log.exception("could not start an association for %s", address)
            _close(sock)

    def _expire(self) -> None:
        now = time.monotonic()
        while self._pending:
            oldest = next(iter(self._pending.values()))
            if oldest.deadline > now:
                return
            what = "TLS handshake" if oldest.handshaking else "A-ASSOCIATE-RQ"
            self._drop(
                oldest,
                f"no complete {what} within {self._timeout:g} s (dicom.first_pdu_timeout)",
            )

    def _forget(self, pending: Pending) -> None:
        self._pending.pop(pending.sock.fileno(), None)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(pending.sock)

    def _drop(self, pending: Pending, why: str) -> None:
        self._forget(pending)
        _close(pending.sock)
        self._end(pending, why)

    def _end(self, pending: Pending, why: str) -> None:
        self._hooks.close(pending.record, why)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()
