"""Associations driven by events instead of polling.

pynetdicom runs two loops per association and both poll: its network (DUL) loop sleeps
``_run_loop_delay`` (1 ms) whenever a pass found nothing to do, and its association loop sleeps
1 ms before every look at the DIMSE queue. Each message therefore waits for up to three such
naps on its way in and out, and every open association costs CPU while it is idle.

This module keeps pynetdicom's state machine, PDUs, ACSE and DIMSE providers as they are and
replaces only the two loops, with ones that block until there is something to do:

- :class:`EventDUL` waits (``poll``) on its socket and on a wake-up descriptor that every put to
  its event and provider queues signals, with the ARTIM timer as the timeout;
- :class:`EventAssociation` waits on an event that the DIMSE message queue and the DUL's
  to-user queue set, with the network idle timer as the timeout.

A timeout of at most :data:`HEARTBEAT` seconds bounds each wait as a safety net; no message
waits for it.

Both loops keep pynetdicom's contract with the ``send_*`` methods of other threads (commitment
reports, C-GET sub-operations): a sender clears ``_reactor_checkpoint`` and waits for
``_is_paused``; the association loop reports itself paused while it waits, and checks the
checkpoint again after it resumes, so it never takes a response meant for a sender off the
queue.

What this relies on in pynetdicom (pinned in ``pyproject.toml``; the specs in
``tests/unit/test_reactor.py`` fail if it changes): the DUL attributes ``event_queue``,
``to_provider_queue``, ``to_user_queue``, ``artim_timer``, ``_idle_timer``, ``_kill_thread``,
``state_machine`` and the methods ``_process_recv_primitive`` and ``_is_transport_event``; the
association attributes ``_kill``, ``_is_paused``, ``_reactor_checkpoint``, ``_dul_ready`` and
``dimse.msg_queue``; and the attributes pynetdicom's constructors set (built here without
them). Beside it: the association's ``_handlers`` table (``handler_table.py``), the AE's
``_supported_contexts`` (``contexts.share_contexts``) and the ``set_uid`` that five of its
modules take from its utils (``uid_cache.py``).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import select
import socket
import ssl
import threading
from typing import Any, cast

from pynetdicom import (
    _config,
    evt,
)
from pynetdicom._globals import MODE_ACCEPTOR, MODE_REQUESTOR
from pynetdicom.acse import ACSE
from pynetdicom.ae import ApplicationEntity
from pynetdicom.association import Association, ServiceUser
from pynetdicom.dimse import DIMSEServiceProvider
from pynetdicom.dul import DULServiceProvider
from pynetdicom.fsm import InvalidEventError, StateMachine
from pynetdicom.pdu import A_ABORT_RQ, P_DATA_TF
from pynetdicom.pdu_primitives import P_DATA
from pynetdicom.timer import Timer
from pynetdicom.utils import make_target

from emulator.dicom.handler_table import handlers_with
from emulator.dicom.wakeup import Wakeup, WakingQueue

LOGGER = logging.getLogger("pynetdicom.dul")  # pynetdicom's own logger for its messages


def _nothing() -> None:
    pass


HEARTBEAT = 5.0  # longest wait without a look at the timers and flags (a safety net)
_READABLE = select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR


class EventDUL(DULServiceProvider):
    """pynetdicom's DUL service provider, whose loop waits on its socket and queues."""

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
        self.event_queue = cast(Any, WakingQueue(self.wakeup.set))
        self.to_provider_queue = cast(Any, WakingQueue(self.wakeup.set))
        self.to_user_queue = cast(Any, WakingQueue(activity.set))  # the association loop's
        self._recv_pdu = cast(Any, WakingQueue(_nothing))  # pynetdicom never uses it
        self._activity = activity
        self._poller = select.poll()
        self._poller.register(self.wakeup.fileno(), select.POLLIN)
        self._watched: int | None = None  # the socket descriptor registered with the poller
        self.idle = threading.Event()  # set while the state machine is in Sta1 (no connection)
        self.timeouts = 0  # waits that ended by timeout, not by an event (the specs read it)
        self._send_lock = threading.RLock()

    def run_reactor(self) -> None:
        """pynetdicom's DUL loop (``dul.py``), with a blocking wait where it sleeps."""
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
            if self.artim_timer.expired:
                self.event_queue.put("Evt18")
            try:
                if self._process_recv_primitive():  # a primitive to encode and send
                    pass
                elif self._is_transport_event():  # a PDU received (or the socket closed)
                    self._idle_timer.restart()
            except Exception as exc:
                self._fail(exc)
                return
            try:
                event = self.event_queue.get(block=False)
            except queue.Empty:
                self._wait()
                continue
            try:
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

    def send_pdu(self, primitive: Any) -> None:
        """P-DATA while established goes out from the sender's thread: the state machine's
        DT-1 action does nothing else (encode, send, stay in Sta6), and skipping the hand-off
        to this loop saves a wake-up and a queue trip per PDU, 32 of them for a 512 KiB
        instance at 16 KiB PDUs. Anything else, or anything queued ahead, takes the queue."""
        if isinstance(primitive, P_DATA):
            with self._send_lock:
                if self._direct():
                    self._send(P_DATA_TF(primitive))
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


class EventAssociation(Association):
    """An association whose loop waits for messages instead of polling for them.

    Built by pynetdicom's ``Association.__init__`` and then :func:`install`; adds no state of
    its own beyond the ``_activity`` event set there.
    """

    _activity: threading.Event
    timeouts: int = 0  # waits that ended by timeout, not by a message (the specs read it)
    acse_class: type[ACSE] = ACSE  # what __init__ builds (subclasses name their own)
    dimse_class: type[DIMSEServiceProvider] = DIMSEServiceProvider

    def __init__(self, ae: ApplicationEntity, mode: str) -> None:
        """pynetdicom's ``Association.__init__`` (a spec holds the attributes to its),
        building :attr:`acse_class`, :attr:`dimse_class` and an :class:`EventDUL` once,
        where pynetdicom's own would be built first and then replaced, and binding
        pynetdicom's debug handlers only when its log shows them (:func:`quiet`)."""
        self._ae = ae
        self.mode = mode
        self._server = None
        self.requestor = ServiceUser(self, MODE_REQUESTOR)
        self.acceptor = ServiceUser(self, MODE_ACCEPTOR)
        self.is_established = self.is_rejected = self.is_aborted = self.is_released = False
        self._sent_abort = self._sent_release = False
        self._accepted_cx = {}
        self._rejected_cx = []
        self._activity = threading.Event()
        self.acse = self.acse_class(self)
        self.dul = EventDUL(self, self._activity)
        self.dimse = self.dimse_class(self)
        self.dimse.msg_queue = cast(Any, WakingQueue(self._activity.set))
        self.acse_timeout = ae.acse_timeout
        self.connection_timeout = ae.connection_timeout
        self.dimse_timeout = ae.dimse_timeout
        self.network_timeout = ae.network_timeout
        self.network_timeout_response = "A-ABORT"
        self._handlers = handlers_with({})  # pynetdicom's defaults (handler_table)
        self._kill = False
        self._started_dul = False
        self._dul_ready = threading.Event()
        self._reactor_checkpoint = threading.Event()
        self._reactor_checkpoint.set()
        self._is_paused = False
        self._timer_resolution = _config.WINDOWS_TIMER_RESOLUTION
        threading.Thread.__init__(self, target=make_target(self.run_reactor))
        self.daemon = True

    def _resume(self) -> None:
        """Pass the checkpoint: paused while a ``send_*`` of another thread holds it (see the
        module's docstring for why the checkpoint is looked at twice)."""
        while True:
            self._is_paused = True
            self._reactor_checkpoint.wait()
            self._is_paused = False
            if self._reactor_checkpoint.is_set():
                return

    def _run_reactor(self) -> None:
        """pynetdicom's association loop (``association.py``), with a blocking wait."""
        self._is_paused = False
        activity = self._activity
        while not self._kill:
            self._resume()
            if self._kill:
                return
            activity.clear()
            msg = None
            if self.dimse.peek_msg()[1] is not None:
                # never the (None, None) the state machine queues when the association is
                # aborted: that one wakes a send_* waiting on this queue (a C-MOVE
                # sub-operation); this loop sees the abort from the ACSE primitive
                context_id, msg = self.dimse.get_msg(block=False)
            if msg:
                self._serve_request(msg, cast(int, context_id))
            if self._after_message():
                return
            if not msg:
                self._is_paused = True  # a sender may go ahead while this loop waits
                if not activity.wait(self._timeout()):
                    self.timeouts += 1

    def _after_message(self) -> bool:
        """pynetdicom's checks after a message: release, abort, DUL gone, idle timeout. True
        when the association is over."""
        if self.is_established and self.acse.is_release_requested():
            self.acse.send_release(is_response=True)
            logging.getLogger("pynetdicom.assoc").info("Association Released")
            self.is_released = True
            self.is_established = False
            _trigger(self, "EVT_RELEASED")
            self.kill()
            return True
        if self.acse.is_aborted():
            text = "Association Aborted"
            if self.acse.is_aborted("a-p-abort"):
                text += " (A-P-ABORT)"
            logging.getLogger("pynetdicom.assoc").info(text)
            # before the primitive leaves the queue: a sender that finds neither a response
            # nor the abort primitive always finds is_established False
            self.is_aborted = True
            self.is_established = False
            self.dul.receive_pdu(wait=False)  # EVT_ACSE_RECV fires for subscribers
            _trigger(self, "EVT_ABORTED")
            self.kill()
            return True
        if not self.dul.is_alive():
            self.kill()
            return True
        if self.dul.idle_timer_expired():
            logging.getLogger("pynetdicom.assoc").error("Network timeout reached")
            if self.network_timeout_response == "A-RELEASE":
                self._is_paused = True
                self._reactor_checkpoint.wait()
                self.release()
                self._is_paused = False
            else:
                self.abort()
            self.kill()
            return True
        return False

    def _timeout(self) -> float:
        idle = self.dul._idle_timer
        if idle.timeout is None:
            return HEARTBEAT
        return min(HEARTBEAT, max(0.0, idle.remaining))

    def kill(self) -> None:
        """As pynetdicom's ``kill``, waking the loops instead of waiting for their naps."""
        self._reactor_checkpoint.set()
        self._kill = True
        self.is_established = False
        self._is_paused = True
        self._activity.set()
        dul = self.dul
        if threading.current_thread() is dul:
            if dul.state_machine.current_state == "Sta1":
                dul.kill_dul()
            return  # the DUL's own thread: its loop ends once it reaches Sta1 and sees this
        while dul.is_alive() and not dul.stop_dul():
            cast(EventDUL, dul).idle.wait(0.05)


def _trigger(assoc: Association, name: str) -> None:
    evt.trigger(assoc, getattr(evt, name), {})
