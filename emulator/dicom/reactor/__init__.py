"""Associations driven by events instead of polling.

pynetdicom runs two loops per association and both poll: its network (DUL) loop sleeps
``_run_loop_delay`` (1 ms) whenever a pass found nothing to do, and its association loop sleeps
1 ms before every look at the DIMSE queue. Each message therefore waits for up to three such
naps on its way in and out, and every open association costs CPU while it is idle.

This package keeps pynetdicom's state machine, PDUs, ACSE and DIMSE providers as they are and
replaces only the two loops, with ones that block until there is something to do:

- :class:`EventDUL` waits (``poll``) on its socket and on a wake-up descriptor that another
  thread's put to its event and provider queues signals (its own puts it takes before it
  waits), with the ARTIM timer as the timeout;
- :class:`EventAssociation` waits on an event that the DIMSE message queue and the DUL's
  to-user queue set, with the network idle timer as the timeout.

A timeout of at most :data:`HEARTBEAT` seconds bounds each wait as a safety net; no message
waits for it.

An accepted association whose A-ASSOCIATE-RQ the connection gate has read, and which no
scenario rule of the ``connect`` or ``associate`` phase concerns, is answered before its
threads start, in the gate's thread (:meth:`EventAssociation.accept_inline`): the DUL's
steps and ACSE's negotiation run there as its own threads would run them, so no thread start
lies between a request and its answer; the threads then take over the established
association (or finish a rejected one). The association the gate builds in a quiet moment
has its two threads started ahead, parked until a connection takes it
(:meth:`EventAssociation.park`): letting them go is a wake-up, where a start is ~0.15 ms.

Both loops keep pynetdicom's contract with the ``send_*`` methods of other threads (commitment
reports, C-GET sub-operations): a sender clears ``_reactor_checkpoint`` and waits for
``_is_paused``; the association loop reports itself paused while it waits, and checks the
checkpoint again after it resumes, so it never takes a response meant for a sender off the
queue.

What this relies on in pynetdicom (pinned in ``pyproject.toml``; the specs in
``tests/unit/test_reactor.py`` fail if it changes): the DUL attributes ``event_queue``,
``to_provider_queue``, ``to_user_queue``, ``artim_timer``, ``_idle_timer``, ``_kill_thread``,
``state_machine`` (its states ``Sta1``, ``Sta3``, ``Sta6`` and ``Sta8``, and its AR-4 action
taking the A-RELEASE response from ``to_provider_queue``) and the methods
``_process_recv_primitive`` and ``_is_transport_event``; the association attributes
``_kill``, ``_is_paused``, ``_reactor_checkpoint``, ``_dul_ready``, ``_started_dul`` and
``dimse.msg_queue``, and its ``run_reactor`` (whose acceptor part the inline answer
replaces); and the attributes pynetdicom's constructors set (built here without them).
Beside it: the association's ``_handlers`` table (``handler_table.py``), the AE's
``_supported_contexts`` (``contexts.share_contexts``) and the ``set_uid`` and ``set_ae`` that its
modules take from its utils (``checked_values.py``). The package is the DUL's loop (``dul.py``)
and the association's (``association.py``).
"""

from emulator.dicom.reactor.association import EventAssociation
from emulator.dicom.reactor.dul import HEARTBEAT, EventDUL

__all__ = ["HEARTBEAT", "EventAssociation", "EventDUL"]
