"""What emulator/dicom/reactor.py relies on in pynetdicom, and what it promises.

The reactor replaces pynetdicom's two polling loops with blocking ones while keeping
pynetdicom's state machine, queues and timers. If a pynetdicom release renames or changes any
of these, these specs fail before anything subtler does (pyproject.toml pins the minor
version they pass on).
"""

from __future__ import annotations

import inspect
import threading
from typing import Any

import pytest
from pynetdicom import AE, evt, fsm
from pynetdicom.association import Association
from pynetdicom.dul import DULServiceProvider
from pynetdicom.presentation import negotiate_as_acceptor
from pynetdicom.sop_class import CTImageStorage, Verification
from pynetdicom.timer import Timer

from emulator.dicom.contexts import share_contexts, supported_contexts
from emulator.dicom.outgoing import install
from emulator.dicom.reactor import EventAssociation, EventDUL
from emulator.dicom.wakeup import Wakeup, WakingQueue
from tests.helpers import associate, make_dataset, wait_until

_MODE = "acceptor"


def listed(emulator: Any) -> list[Any]:
    """The server's associations, once one is listed: a client may read its A-ASSOCIATE-AC
    before the association's thread has started (the gate answers it)."""
    assert wait_until(lambda: emulator._server.active_associations)
    return list(emulator._server.active_associations)


def test_pynetdicom_dul_has_what_the_event_loop_drives():
    assoc = Association(AE(), _MODE)
    dul = assoc.dul
    for name in ("event_queue", "to_provider_queue", "to_user_queue", "_recv_pdu"):
        assert hasattr(dul.__dict__.get(name), "put"), name
    assert isinstance(dul.artim_timer, Timer)
    assert isinstance(dul._idle_timer, Timer)
    assert {"_start_time", "timeout", "remaining", "expired"} <= set(dir(dul.artim_timer))
    assert dul._kill_thread is False
    for method in ("_process_recv_primitive", "_is_transport_event", "run_reactor", "stop_dul"):
        assert callable(getattr(DULServiceProvider, method)), method
    assert dul.state_machine.current_state == "Sta1"


def test_pynetdicom_association_has_what_the_event_loop_drives():
    assoc = Association(AE(), _MODE)
    assert isinstance(assoc._reactor_checkpoint, threading.Event)
    assert isinstance(assoc._dul_ready, threading.Event)
    assert (assoc._kill, assoc._is_paused) == (False, False)
    assert hasattr(assoc.dimse.msg_queue, "put")
    # the loop pynetdicom runs once established, which EventAssociation overrides
    assert "_run_reactor" in Association.__dict__
    source = inspect.getsource(Association._run_reactor)
    for used in ("is_release_requested", "is_aborted", "idle_timer_expired", "_serve_request"):
        assert used in source, used


def test_pynetdicom_accepts_as_the_inline_answer_reproduces_it():
    """EventAssociation.accept_inline and run_reactor split pynetdicom's acceptor path in
    two (negotiate where the gate is, run the loop in the thread): the steps must be
    pynetdicom's, in this order, and its state machine must go through the states the
    inline answer waits for."""
    source = inspect.getsource(Association.run_reactor)
    at = 0
    for step in (
        "self.dul.start()",
        "if self.is_acceptor:",
        "self.dul.receive_pdu(wait=True",
        "self.requestor.primitive =",
        "evt.EVT_REQUESTED",
        "self.acse.negotiate_association()",
        "self._run_reactor()",
        "self._server.shutdown_request(sock.socket)",
    ):
        at = source.index(step, at)  # ValueError: a step moved or went
    table = fsm.TRANSITION_TABLE
    assert (table[("Evt5", "Sta1")], table[("Evt6", "Sta2")]) == ("AE-5", "AE-6")
    assert (table[("Evt7", "Sta3")], table[("Evt8", "Sta3")]) == ("AE-7", "AE-8")
    assert 'return "Sta3"' in inspect.getsource(fsm.AE_6)
    assert 'return "Sta6"' in inspect.getsource(fsm.AE_7)
    # EventDUL.answer_release runs AR-4 where the association decides the release
    assert table[("Evt14", "Sta8")] == "AR-4"
    ar_4 = inspect.getsource(fsm.AR_4)
    assert "dul.to_provider_queue.get(False)" in ar_4
    assert 'return "Sta13"' in ar_4


def test_install_keeps_the_timeouts_and_queues_wake_the_loops():
    ae = AE()
    ae.acse_timeout, ae.network_timeout = 7, 11
    assoc = Association(ae, _MODE)
    assoc.__class__ = EventAssociation
    install(assoc)
    dul = assoc.dul
    assert isinstance(dul, EventDUL)
    assert (dul.artim_timer.timeout, dul._idle_timer.timeout) == (7, 11)
    assoc._activity.clear()
    assoc.dimse.msg_queue.put((1, None))
    assert assoc._activity.is_set()  # a DIMSE message wakes the association loop
    assoc._activity.clear()
    dul.to_user_queue.put(None)
    assert assoc._activity.is_set()  # so does an ACSE primitive


def test_the_release_response_goes_out_from_the_association_s_thread(emulator, monkeypatch):
    """The A-RELEASE-RP is sent where the association decides it (answer_release: pynetdicom's
    AR-4 run there), not handed to the DUL's loop and back; the state machine ends as ever."""
    from pynetdicom.pdu import A_RELEASE_RP

    senders: list[tuple[str, str]] = []
    original = EventDUL._send

    def send(self: EventDUL, pdu: Any) -> None:
        if isinstance(pdu, A_RELEASE_RP):
            senders.append((threading.current_thread().name, type(self.assoc).__name__))
        original(self, pdu)

    monkeypatch.setattr(EventDUL, "_send", send)
    assoc = associate(emulator.dicom_port)
    [server_side] = listed(emulator)
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
    assert assoc.is_released
    assert [(name.split("@")[0], kind) for name, kind in senders] == [
        ("AcceptorThread", "EmulatorAssociation")
    ]
    assert wait_until(lambda: server_side.dul.state_machine.current_state == "Sta1")
    assert wait_until(lambda: not server_side.dul.is_alive())


def test_the_lean_constructors_set_every_attribute_pynetdicoms_do():
    """EventAssociation and EventDUL build themselves instead of calling pynetdicom's
    constructors (which build queues and a DUL only to have them replaced): they must set
    at least what pynetdicom's set, with the same timeouts."""
    from emulator.dicom.association import EmulatorAssociation

    ae = AE()
    ae.acse_timeout, ae.network_timeout, ae.dimse_timeout = 7, 11, 13
    theirs = Association(ae, _MODE)
    ours = EmulatorAssociation(ae, _MODE)
    assert set(vars(theirs)) <= set(vars(ours))
    assert set(vars(theirs.dul)) <= set(vars(ours.dul))
    assert (ours.acse_timeout, ours.network_timeout, ours.dimse_timeout) == (7, 11, 13)
    assert (ours.dul.artim_timer.timeout, ours.dul._idle_timer.timeout) == (7, 11)
    assert ours.daemon
    assert not ours.dul.daemon
    assert ours.get_handlers(evt.EVT_ASYNC_OPS) == theirs.get_handlers(evt.EVT_ASYNC_OPS)
    ours.dimse.msg_queue.put((1, None))
    assert ours._activity.is_set()
    ours.dul.wakeup.close()  # never started: its loop would have closed it


def test_a_waking_queue_is_a_fifo_that_blocks_times_out_and_wakes():
    import queue

    woken: list[int] = []
    box = WakingQueue(lambda: woken.append(1))
    with pytest.raises(queue.Empty):
        box.get(block=False)
    with pytest.raises(queue.Empty):
        box.get(timeout=0.01)
    threading.Timer(0.05, box.put, ("late",)).start()
    assert box.get(timeout=10) == "late"  # a waiting get is woken by a put
    box.put(1)
    box.put(2)
    assert (box.qsize(), box.queue[0], box.empty()) == (2, 1, False)
    assert [box.get(), box.get_nowait()] == [1, 2]
    assert box.empty()
    assert len(woken) == 3


def test_a_waking_queue_signals_after_the_item_is_in():
    seen: list[int] = []
    box: WakingQueue = WakingQueue(lambda: seen.append(len(box.queue)))  # under its lock
    box.put("x")
    assert seen == [1]


def test_a_wakeup_can_be_set_many_times_and_cleared_once():
    wakeup = Wakeup()
    try:
        for _ in range(1000):
            wakeup.set()
        wakeup.clear()
        wakeup.clear()  # nothing left: no error, no block
    finally:
        wakeup.close()


def test_negotiation_never_changes_the_supported_contexts_so_associations_share_them():
    """The server gives every association the same context objects instead of a deep copy."""
    ae = AE()
    ae.add_supported_context(CTImageStorage)
    ae.add_supported_context(Verification)
    supported = ae.supported_contexts
    before = [(cx.abstract_syntax, list(cx.transfer_syntax), cx.context_id) for cx in supported]
    requestor = AE()
    requestor.add_requested_context(CTImageStorage)
    requestor.add_requested_context(Verification)
    requested = requestor.requested_contexts
    for n, cx in enumerate(requested):
        cx.context_id = 2 * n + 1
    accepted, _ = negotiate_as_acceptor(requested, supported)
    assert accepted
    assert all(cx not in supported for cx in accepted)
    after = [(cx.abstract_syntax, list(cx.transfer_syntax), cx.context_id) for cx in supported]
    assert after == before


def test_shared_contexts_are_what_add_supported_context_would_give_the_ae():
    """share_contexts sets the AE's contexts without rebuilding them; pynetdicom's public
    way (add_supported_context, roles included) gives an AE the very same contexts."""
    contexts = supported_contexts()
    shared, built = AE(), AE()
    share_contexts(shared, contexts)
    for cx in contexts:
        built.add_supported_context(
            cx.abstract_syntax, cx.transfer_syntax, scu_role=cx.scu_role, scp_role=cx.scp_role
        )

    def seen(ae):
        return [
            (cx.abstract_syntax, list(cx.transfer_syntax), cx.scu_role, cx.scp_role)
            for cx in ae.supported_contexts
        ]

    assert seen(shared) == seen(built)
    assert len(seen(shared)) == len(contexts) > 200
    assert supported_contexts() is contexts  # built once per process


def test_while_messages_flow_no_loop_wakes_by_timeout(emulator):
    """Both loops of an association wait for events: a hundred echoes, and neither loop's
    wait ever ran out (a polling loop's every nap is a timeout)."""
    assoc = associate(emulator.dicom_port)
    try:
        [server_side] = listed(emulator)
        assert isinstance(server_side, EventAssociation)
        statuses = {assoc.send_c_echo().Status for _ in range(100)}
        assert statuses == {0x0000}
        assert (server_side.timeouts, server_side.dul.timeouts) == (0, 0)
        assert (assoc.timeouts, assoc.dul.timeouts) == (0, 0)  # the client's loops too
    finally:
        assoc.release()


def test_the_network_loop_takes_what_it_queues_itself_without_a_wake_up(emulator):
    """Each PDU read becomes an event that the DUL's own loop queues and takes: a hundred
    echoes and a C-STORE, and no put signalled the loop's wake-up (each signal would cost a
    write, a read and a pass that finds nothing). Counted from the first echo's answer on:
    until then the connection gate's thread may read the first request itself, and its
    puts do signal (another thread's)."""
    assoc = associate(emulator.dicom_port, Verification, CTImageStorage)
    try:
        [server_side] = listed(emulator)
        assert assoc.send_c_echo().Status == 0x0000  # from the association's own threads
        before = server_side.dul.signals
        assert {assoc.send_c_echo().Status for _ in range(100)} == {0x0000}
        assert assoc.send_c_store(make_dataset()).Status == 0x0000
        assert server_side.dul.signals == before
    finally:
        assoc.release()


def test_a_put_from_another_thread_wakes_the_network_loop():
    dul = EventDUL(Association(AE(), _MODE), threading.Event())
    dul.to_provider_queue.put("primitive")  # from this thread, not the loop's
    dul.event_queue.put("Evt17")
    assert dul.signals == 2
    dul.wakeup.close()


@pytest.mark.parametrize("max_pdu", [0, 64, 16382])
def test_whole_message_pdus_are_byte_for_byte_what_pynetdicom_would_send(max_pdu):
    """The emulator writes a message's P-DATA-TF PDUs as bytes it builds itself; they are
    the PDUs pynetdicom's own fragmentation encodes, fragment for fragment."""
    from io import BytesIO

    from pynetdicom.dimse_messages import C_STORE_RQ
    from pynetdicom.dimse_primitives import C_STORE
    from pynetdicom.dsutils import encode
    from pynetdicom.pdu import P_DATA_TF

    from emulator.dicom.commands import pdata_pdus

    req = C_STORE()
    req.MessageID, req.Priority = 7, 2
    req.AffectedSOPClassUID, req.AffectedSOPInstanceUID = CTImageStorage, "1.2.3.4"
    req.DataSet = BytesIO(bytes(range(256)) * 3)
    message = C_STORE_RQ()
    message.primitive_to_message(req)
    expected = b"".join(P_DATA_TF(p).encode() for p in message.encode_msg(5, max_pdu))
    command = encode(message.command_set, True, True)
    ours = pdata_pdus(5, command, True, max_pdu) + pdata_pdus(
        5, req.DataSet.getvalue(), False, max_pdu
    )
    assert bytes(ours) == expected


def test_accepted_associations_carry_none_of_pynetdicoms_debug_handlers(emulator):
    """Each takes the AE-wide lock and builds its text for every PDU and message; they are
    dropped unless pynetdicom's logger shows debug messages (it does not by default)."""
    from pynetdicom import _handlers, evt

    debug = {
        _handlers.standard_pdu_recv_handler,
        _handlers.standard_pdu_sent_handler,
        _handlers.standard_dimse_recv_handler,
        _handlers.standard_dimse_sent_handler,
    }
    assoc = associate(emulator.dicom_port)
    try:
        [server_side] = listed(emulator)
        bound = {
            handler
            for event in (
                evt.EVT_PDU_RECV,
                evt.EVT_PDU_SENT,
                evt.EVT_DIMSE_RECV,
                evt.EVT_DIMSE_SENT,
            )
            for handler, _ in server_side.get_handlers(event)
        }
        assert not bound & debug
        assert assoc.send_c_echo().Status == 0x0000
    finally:
        assoc.release()


def test_a_wakeup_closed_never_touches_the_descriptor_number_again():
    """A late put to a finished association's queue must not write 8 bytes into whatever
    socket or file got the closed eventfd's number."""
    import os

    read_end, write_end = os.pipe()
    wakeup = Wakeup()
    number = wakeup.fileno()
    wakeup.close()
    os.dup2(write_end, number)  # the number now belongs to someone else's stream
    try:
        wakeup.set()
        wakeup.clear()
        os.set_blocking(read_end, False)
        with pytest.raises(BlockingIOError):
            os.read(read_end, 8)  # nothing was written into it
    finally:
        for fd in (number, read_end, write_end):
            os.close(fd)


def test_an_outgoing_socket_once_connected_still_says_so_after_it_closed():
    """pynetdicom's requestor reads ``_is_connected`` after its A-ASSOCIATE-RQ went out; a
    peer that rejects at once has the connection closed by then, which must not read as a
    refused connection."""
    from pynetdicom.transport import AddressInformation

    from emulator.dicom.outgoing import prepare_outgoing

    assoc = Association(AE(), "requestor")
    sock = prepare_outgoing(assoc, AddressInformation("127.0.0.1", 0), None)
    assert sock._is_connected is False  # not yet: a failed connect still reads False
    sock._is_connected = True
    sock.close()
    assert sock.socket is None
    assert sock._is_connected is True


@pytest.mark.parametrize(
    "value",
    [
        "1.2.840.10008.1.1",
        b"1.2.840.10008.1.2.1",
        " 1.2.840.10008.5.1.4.1.1.2 ",
        "1.2.3.04",  # not conformant: pynetdicom warns
        "1.2.3." + "4" * 70,  # too long: pynetdicom refuses
        "1.2.abc",
        "",
        None,
        b"",
    ],
)
def test_remembering_uids_gives_what_pynetdicoms_set_uid_gives(value, caplog):
    from pynetdicom import ae as ae_module
    from pynetdicom import dimse_primitives, pdu_items, pdu_primitives, presentation, utils

    from emulator.dicom.checked_values import _set_uid, cache_uids

    def outcome(set_uid):
        caplog.clear()
        try:
            result = set_uid(value, "uid")
        except (ValueError, TypeError) as exc:
            return type(exc), [r.getMessage() for r in caplog.records]
        return (result, type(result)), [r.getMessage() for r in caplog.records]

    assert outcome(_set_uid) == outcome(utils.set_uid)
    assert outcome(_set_uid) == outcome(_set_uid)  # remembered, still the same
    cache_uids()
    for module in (ae_module, dimse_primitives, pdu_items, pdu_primitives, presentation):
        assert module.set_uid is _set_uid  # the modules that take it from pynetdicom's utils


@pytest.mark.parametrize(
    "value",
    [
        "ECHOSCU",
        " FABRICATOR ",
        "A" * 16,
        "A" * 17,
        "",
        " " * 16,
        "BAD\\TITLE",
        "ÉCHO",
        None,
        b"B",
        7,
    ],
)
@pytest.mark.parametrize("allow_empty", [True, False])
def test_remembering_ae_titles_gives_what_pynetdicoms_set_ae_gives(value, allow_empty, caplog):
    from pynetdicom import ae as ae_module
    from pynetdicom import association, dimse_primitives, pdu, pdu_items, pdu_primitives, utils

    from emulator.dicom.checked_values import _set_ae, cache_uids

    def outcome(set_ae):
        caplog.clear()
        try:
            result = set_ae(value, "ae_title", allow_empty)
        except (ValueError, TypeError) as exc:
            return type(exc), str(exc), [r.getMessage() for r in caplog.records]
        return result, [r.getMessage() for r in caplog.records]

    assert outcome(_set_ae) == outcome(utils.set_ae)
    assert outcome(_set_ae) == outcome(_set_ae)  # remembered, still the same
    cache_uids()
    for module in (ae_module, association, dimse_primitives, pdu, pdu_items, pdu_primitives):
        assert module.set_ae is _set_ae  # the modules that take it from pynetdicom's utils


def test_an_association_s_handler_table_is_what_binding_each_handler_gives(emulator):
    """handlers_with builds at once what pynetdicom's bind() gives, one handler at a time: its
    default intervention handlers, then the server's handlers, without its debug ones."""
    from pynetdicom import _handlers

    from emulator.dicom.handler_table import handlers_with

    server = emulator._server
    bound = Association(AE(), _MODE)
    for event, handlers in server._handlers.items():
        if event.is_intervention and handlers:
            bound.bind(event, *handlers)
        elif not event.is_intervention:
            for handler, args in handlers:
                bound.bind(event, handler, args)
    debug = {_handlers.standard_dimse_recv_handler, _handlers.standard_dimse_sent_handler,
             _handlers.standard_pdu_recv_handler, _handlers.standard_pdu_sent_handler}  # fmt: skip
    expected = {
        event: value if event.is_intervention else [h for h in value if h[0] not in debug]
        for event, value in bound._handlers.items()
    }
    expected = {event: value for event, value in expected.items() if value}
    table = handlers_with(server._handlers)
    assert table == expected
    assert table[evt.EVT_C_STORE][0] is not None  # the emulator's own, not the default
    for event, value in table.items():  # every list its own: binding later changes one table
        if isinstance(value, list):
            assert value is not server._handlers.get(event)
