"""pynetdicom's association with a loop that waits for messages, and that can be answered
in the thread that accepted it (see the package's docstring for what it relies on in
pynetdicom)."""

from __future__ import annotations

import logging
import threading
from typing import Any, cast

from pynetdicom import _config, evt
from pynetdicom._globals import MODE_ACCEPTOR, MODE_REQUESTOR
from pynetdicom.acse import ACSE
from pynetdicom.ae import ApplicationEntity
from pynetdicom.association import Association, ServiceUser
from pynetdicom.dimse import DIMSEServiceProvider
from pynetdicom.pdu_primitives import A_ASSOCIATE
from pynetdicom.utils import make_target

from emulator.dicom.handler_table import handlers_with
from emulator.dicom.reactor.dul import HEARTBEAT, EventDUL
from emulator.dicom.wakeup import WakingQueue


class EventAssociation(Association):
    """An association whose loop waits for messages instead of polling for them.

    Built by pynetdicom's ``Association.__init__`` and then :func:`install`; adds no state of
    its own beyond the ``_activity`` event set there.
    """

    _activity: threading.Event
    timeouts: int = 0  # waits that ended by timeout, not by a message (the specs read it)
    _inline: bool = False  # negotiated by accept_inline, before the threads started
    _go: threading.Event | None = None  # set: the parked threads may run (park, start)
    _discarded: bool = False  # parked and never taken: the threads end at once
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

    def accept_inline(self) -> None:
        """Answer the A-ASSOCIATE-RQ already read (the connection gate's read-ahead) in the
        caller's thread, before this association's threads start: pynetdicom's DUL turns
        it into its primitive, ``EVT_REQUESTED`` fires, ACSE negotiates, and the
        A-ASSOCIATE-AC (or -RJ) goes out, each as pynetdicom's own threads would do it;
        :meth:`start` then runs only what follows. Anything but an A-ASSOCIATE-RQ is left
        to the threads as it is."""
        dul = cast(EventDUL, self.dul)
        try:
            if not dul.drain() or dul.state_machine.current_state != "Sta3":
                return  # not awaiting our answer: the threads take it from here
            self._inline = True
            # an EmulatorAE counts this one among its associations until its thread runs
            cast(Any, self._ae).negotiating(self, True)
            self.requestor.primitive = cast(A_ASSOCIATE, dul.receive_pdu(wait=False))
            evt.trigger(self, evt.EVT_REQUESTED, {})
            if not self.is_aborted and not self.is_rejected:
                self.acse.negotiate_association()
            dul.drain()  # the answer goes out
        except Exception as exc:  # as an exception in pynetdicom's loops: an A-ABORT
            self._inline = True  # the threads only finish it (run_reactor)
            dul._fail(exc)
        if not self._started_dul:
            dul.start()  # reading the first request while the association's thread starts
            self._started_dul = True

    def park(self) -> None:
        """Start this association's two threads ahead of any connection, each waiting for
        :meth:`start` (a thread's start, ~0.15 ms, off the path of the next request):
        for the association the connection gate has built in a quiet moment."""
        self._go = cast(EventDUL, self.dul).go = threading.Event()
        self.dul.daemon = True  # parked, it must not hold the interpreter at exit
        self.dul.start()
        self._started_dul = True
        threading.Thread.start(self)

    def discard(self) -> None:
        """End the threads of a parked association that no connection took (or that failed
        before they were let go); nothing for one whose threads never started."""
        if self._go is None or self._go.is_set():
            return
        self._discarded = True
        cast(EventDUL, self.dul).kill_dul()
        self._go.set()

    def start(self) -> None:
        """Start the association's thread (or let a parked one go); one answered inline
        counts as running from now on (the AE stops counting it as negotiating)."""
        try:
            if self._go is not None:
                self._go.set()
            else:
                super().start()
        finally:
            if self._inline:
                cast(Any, self._ae).negotiating(self, False)

    def run_reactor(self) -> None:
        """pynetdicom's ``run_reactor``; after :meth:`accept_inline` has answered (the DUL's
        thread already running), only its end: the association's loop runs (or a rejection
        finishes), and the connection is shut down."""
        if self._go is not None:
            self._go.wait()  # parked until a connection takes it
            if self._discarded:
                return
        if not self._inline:
            super().run_reactor()
            return
        if self.is_established:
            self._run_reactor()
        else:
            self.kill()  # rejected: the DUL's thread finishes the exchange (Sta13 -> Sta1)
        sock = cast(Any, self.dul.socket)
        if self._server and sock.socket:
            self._server.shutdown_request(sock.socket)

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
        go = self._go
        if go is not None and not go.is_set():
            return  # parked (a rejection answered inline): it finishes once started
        while dul.is_alive() and not dul.stop_dul():
            cast(EventDUL, dul).idle.wait(0.05)


def _trigger(assoc: Association, name: str) -> None:
    evt.trigger(assoc, getattr(evt, name), {})
