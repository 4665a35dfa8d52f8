"""pynetdicom's DUL service provider with a loop that waits on its socket and queues (see
the package's docstring for what it relies on in pynetdicom)."""

from __future__ import annotations

import contextlib
import logging
import queue
import select
import socket
import ssl
import threading
from typing import Any, cast

from pynetdicom.association import Association
from pynetdicom.dul import DULServiceProvider
from pynetdicom.fsm import InvalidEventError, StateMachine
from pynetdicom.pdu import A_ABORT_RQ, P_DATA_TF
from pynetdicom.pdu_primitives import A_RELEASE, P_DATA
from pynetdicom.timer import Timer
from pynetdicom.utils import make_target

from emulator.dicom.wakeup import Wakeup, WakingQueue

LOGGER = logging.getLogger("pynetdicom.dul")  # pynetdicom's own logger for its messages


def _nothing() -> None:
    pass


HEARTBEAT = 5.0  # longest wait without a look at the timers and flags (a safety net)
_READABLE = select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR


class EventDUL(DULServiceProvider):
    """pynetdicom's DUL service provider, whose loop waits on its socket and queues."""

    go: threading.Event | None = None  # parked: the loop starts once it is set

    def __init__(self, assoc: Association, activity: threading.Event) -> None:
        # pynetdicom's DULServiceProvider.__init__, building waking queues in place of its
        # queue.Queue objects rather than after them (a spec holds the attributes to its)
        threading.Thread.__init__(self, target=make_target(self.run_reactor))
        self.daemon = False
        self._assoc = assoc
        self.socket = None
        self._idle_timer = Timer(60)
        self.artim_timer = Timer(30)
        self.state_machine = StateMachine(self)
        self._run_loop_delay = 0.001
        self._kill_thread = False
        self.wakeup = Wakeup()
        self.signals = 0  # times the wake-up was signalled (the specs read it)
        self.event_queue = cast(Any, WakingQueue(self._wake))
        self.to_provider_queue = cast(Any, WakingQueue(self._wake))
        self.to_user_queue = cast(Any, WakingQueue(activity.set))  # the association loop's
        self._recv_pdu = cast(Any, WakingQueue(_nothing))  # decoded PDUs, for AE-6 and kin
        self._activity = activity
        self._poller = select.poll()
        self._poller.register(self.wakeup.fileno(), select.POLLIN)
        self._watched: int | None = None  # the socket descriptor registered with the poller
        self.idle = threading.Event()  # set while the state machine is in Sta1 (no connection)
        self.timeouts = 0  # waits that ended by timeout, not by an event (the specs read it)
        self._send_lock = threading.RLock()
        # held while a state machine action runs: the loop's, or a release answered from
        # the association's thread (answer_release)
        self._state_lock = threading.Lock()

    def _wake(self) -> None:
        """After a put to the event or provider queue: wake the loop, unless the loop put it
        itself (a PDU read, a state machine action). The loop waits only after a pass that
        found both queues empty, so it takes its own puts without one; signalling them cost
        an eventfd write, a pass that found nothing and a read per PDU, each taking the GIL
        from the association's thread while it works on the message."""
        if threading.get_ident() != self.ident:
            self.signals += 1
            self.wakeup.set()

    def run_reactor(self) -> None:
        """pynetdicom's DUL loop (``dul.py``), with a blocking wait where it sleeps."""
        if self.go is not None:
            self.go.wait()  # parked until its association is taken (EventAssociation.park)
        self._idle_timer.start()
        try:
            self._loop()
        finally:
            self._activity.set()  # the association loop notices that the DUL has stopped
            self.wakeup.close()

    def _loop(self) -> None:
        while True:
            if not self.assoc._dul_ready.is_set():
                self.assoc._dul_ready.set()
            if self._kill_thread:
                return
            done = self.step()
            if done is None:
                return
            if not done:
                self._wait()

    def step(self) -> bool | None:
        """One pass of pynetdicom's loop, without waiting: a primitive to send or a PDU
        received becomes an event, and one event goes through the state machine. False: no
        event was waiting; None: the loop has failed (:meth:`_fail`) and must stop."""
        if self.artim_timer.expired:
            self.event_queue.put("Evt18")
        try:
            # under the lock: answer_release may be putting a primitive in for its own use
            with self._state_lock:
                sending = self._process_recv_primitive()  # a primitive to encode and send
            if not sending and self._is_transport_event():  # a PDU received, or a close
                self._idle_timer.restart()
        except Exception as exc:
            self._fail(exc)
            return None
        try:
            event = self.event_queue.get(block=False)
        except queue.Empty:
            return False
        try:
            with self._state_lock:
                self.state_machine.do_action(event)
        except InvalidEventError as exc:
            # a primitive for a connection that is gone (a send racing an abort): the
            # sender gets no response at once rather than after the DIMSE timeout
            LOGGER.info("Ignored %s: %s", event, str(exc).splitlines()[0])
            self.assoc.dimse.msg_queue.put((None, None))
        if self.state_machine.current_state == "Sta1":
            self.idle.set()
        else:
            self.idle.clear()
        return True

    def drain(self) -> bool:
        """Run :meth:`step` in the caller's thread, before this DUL's own thread starts
        (:meth:`EventAssociation.accept_inline`), until nothing is left to do or the
        connection is over (Sta1: what follows is the threads'). False: failed."""
        while True:
            done = self.step()
            if not done or self.state_machine.current_state == "Sta1":
                return done is not None

    def _fail(self, exc: Exception) -> None:
        """As pynetdicom: an A-ABORT straight to the socket, and both loops stop."""
        LOGGER.error("Exception in DUL.run(), aborting association")
        LOGGER.exception(exc)
        abort_pdu = A_ABORT_RQ()
        abort_pdu.source = 0x02
        abort_pdu.reason_diagnostic = 0x00
        try:
            if self.socket is not None:
                self.socket.send(abort_pdu.encode())
        except Exception:
            pass
        self.assoc.is_aborted = True
        self.assoc.is_established = False
        self.assoc._kill = True
        self._kill_thread = True

    def _raw_socket(self) -> socket.socket | None:
        sock = self.socket.socket if self.socket is not None else None
        if sock is None or getattr(self.socket, "_is_connected", True) is False:
            return None
        return sock

    def _wait(self) -> None:
        """Until the socket is readable, a queue is put to, or the ARTIM timer is due."""
        sock = self._raw_socket()
        fd = -1
        if sock is not None:
            if isinstance(sock, ssl.SSLSocket) and sock.pending():
                return  # decrypted bytes already buffered: no readiness to wait for
            try:
                fd = sock.fileno()
            except OSError:
                fd = -1
            if getattr(self.socket, "has_pending", False):
                return  # bytes read ahead of the association (the connection gate)
        if fd != self._watched:
            if self._watched is not None:
                with contextlib.suppress(KeyError, ValueError):
                    self._poller.unregister(self._watched)
            self._watched = fd if fd >= 0 else None
            if self._watched is not None:
                self._poller.register(self._watched, _READABLE)
        timeout = HEARTBEAT
        if self.artim_timer.timeout is not None and self.artim_timer._start_time is not None:
            timeout = min(timeout, max(0.0, self.artim_timer.remaining))
        with contextlib.suppress(OSError, ValueError):
            if not self._poller.poll(timeout * 1000):
                self.timeouts += 1
        self.wakeup.clear()

    def answer_release(self, primitive: Any) -> bool:
        """Send the A-RELEASE response *primitive* from the caller's thread (the association's)
        when the state machine awaits it (Sta8) and nothing is queued ahead: pynetdicom's AR-4
        runs here instead of after a hand-off to this loop and back. False: not sent, queue
        it."""
        with self._state_lock:
            if (
                self.state_machine.current_state != "Sta8"
                or self.to_provider_queue.queue
                or self.event_queue.queue
                or self.socket is None
            ):
                return False
            self.to_provider_queue.queue.append(primitive)  # where AR-4 takes it from
            self.state_machine.do_action("Evt14")  # A-RELEASE response primitive
            return True

    def send_pdu(self, primitive: Any) -> None:
        """P-DATA while established goes out from the sender's thread: the state machine's
        DT-1 action does nothing else (encode, send, stay in Sta6), and skipping the hand-off
        to this loop saves a wake-up and a queue trip per PDU, 32 of them for a 512 KiB
        instance at 16 KiB PDUs. The A-RELEASE response likewise (:meth:`answer_release`).
        Anything else, or anything queued ahead, takes the queue."""
        if isinstance(primitive, P_DATA):
            with self._send_lock:
                if self._direct():
                    self._send(P_DATA_TF(primitive))
                    return
        elif (
            isinstance(primitive, A_RELEASE)
            and primitive.result is not None  # a response
            and self.answer_release(primitive)
        ):
            return
        super().send_pdu(primitive)

    def send_raw(self, data: bytes | bytearray | list[bytes | memoryview]) -> bool:
        """Encoded P-DATA-TF PDUs (bytes, or a list of pieces to send one after the other),
        written at once from the caller's thread while established and nothing is queued
        ahead (see :meth:`send_pdu`); False: not sent, queue them."""
        with self._send_lock:
            if not self._direct():
                return False
            if isinstance(data, list):
                send_buffers = getattr(self.socket, "send_buffers", None)
                if send_buffers is not None:
                    send_buffers(data)
                    return True
                data = b"".join(data)
            self.socket.send(data)  # type: ignore[union-attr, arg-type]  # sendall: bytearray
            return True

    def _direct(self) -> bool:
        """Under ``_send_lock``: may a PDU skip the queue? Established (Sta6), nothing queued
        ahead of it, a socket to write to."""
        return (
            self.state_machine.current_state == "Sta6"
            and self.to_provider_queue.empty()
            and self.socket is not None
        )

    def _send(self, pdu: Any) -> None:
        with self._send_lock:  # the loop's own sends and the fast path never interleave
            super()._send(pdu)

    def kill_dul(self) -> None:
        self._kill_thread = True
        self.wakeup.set()

    def stop_dul(self) -> bool:
        """As pynetdicom's: stop the loop if the state machine is idle (Sta1), and wait."""
        if self.state_machine.current_state != "Sta1":
            return False
        self.kill_dul()
        if self.is_alive() and threading.current_thread() is not self:
            self.join()
        return True
