"""Scenario actions at the connect, associate and release phases, seen by real clients."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE
from pynetdicom.sop_class import CTImageStorage, MRImageStorage, Verification

from tests.helpers import make_dataset, wait_until
from tests.helpers.faults import association_request, client, read_until_closed, received_kinds


def test_associate_reject_reaches_the_client_with_result_source_and_reason(emulator):
    emulator.load_scenario(
        "name: t\nrules:\n  - match: {phase: associate, calling_ae: 'UNKNOWN*'}\n"
        "    action: {reject: {result: 1, source: 1, reason: 3}}\n"
    )
    assoc = client(emulator.dicom_port, calling="UNKNOWN1")
    assert assoc.is_rejected
    rj = assoc.acceptor.primitive
    assert (rj.result, rj.result_source, rj.diagnostic) == (1, 1, 3)
    assert client(emulator.dicom_port, calling="MOD1").is_established  # others go through
    assert emulator.journal.wait_for(
        lambda: bool(emulator.journal.associations(outcome="rejected"))
    )  # the client may read the A-ASSOCIATE-RJ before the server has noted it
    [rejected] = emulator.journal.associations(outcome="rejected")
    assert rejected.calling_ae == "UNKNOWN1"
    assert rejected.faults == ["rule-1:reject"]


def test_reject_the_first_association_accept_the_second(emulator):
    emulator.load_scenario(
        "name: t\nrules:\n  - match: {phase: associate}\n    scope: calling_ae\n    first: 1\n"
        "    action: {reject: {result: 2, source: 3, reason: 1}}\n"
    )
    first = client(emulator.dicom_port, calling="MOD1")
    assert first.is_rejected
    assert first.acceptor.primitive.result == 2  # transient: worth a retry
    second = client(emulator.dicom_port, calling="MOD1")
    assert second.is_established
    assert second.send_c_echo().Status == 0x0000
    second.release()


def test_associate_abort_and_provider_abort_are_what_the_client_receives(emulator):
    emulator.load_scenario(
        "name: t\nrules:\n"
        "  - match: {phase: associate, calling_ae: USERABORT}\n    action: {abort: {}}\n"
        "  - match: {phase: associate, calling_ae: PROVABORT}\n"
        "    action: {ap_abort: {reason: 2}}\n"
    )
    user = client(emulator.dicom_port, calling="USERABORT")
    assert user.is_aborted
    assert received_kinds(user) == ["A_ABORT"]
    assert user.received[0].abort_source == 0  # the service user
    provider = client(emulator.dicom_port, calling="PROVABORT")
    assert provider.is_aborted
    assert received_kinds(provider) == ["A_P_ABORT"]
    assert provider.received[0].provider_reason == 2  # unexpected PDU


def test_max_pdu_is_announced_in_the_accept_and_a_large_store_still_arrives(emulator):
    emulator.load_scenario(
        "name: t\nrules:\n  - match: {phase: associate}\n    action: {max_pdu: {bytes: 1024}}\n"
    )
    assoc = client(emulator.dicom_port, CTImageStorage)
    assert assoc.acceptor.maximum_length == 1024
    ds = make_dataset(Rows=64, Columns=64, PixelData=b"\0\1" * 4096)
    assert assoc.send_c_store(ds).Status == 0x0000  # the client had to fragment
    assoc.release()
    assert emulator.index.instance(ds.SOPInstanceUID) is not None


def test_rejected_contexts_are_refused_and_the_others_accepted(emulator):
    emulator.load_scenario(
        "name: t\nrules:\n  - match: {phase: associate}\n"
        "    action: {reject_contexts: {sop_classes: [CTImageStorage]}}\n"
    )
    assoc = client(emulator.dicom_port, CTImageStorage, Verification)
    assert assoc.is_established
    accepted = {cx.abstract_syntax for cx in assoc.accepted_contexts}
    assert accepted == {Verification}
    [refused] = assoc.rejected_contexts
    assert refused.abstract_syntax == CTImageStorage
    assert refused.result == 0x03  # abstract syntax not supported
    assoc.release()


def test_refused_transfer_syntaxes_leave_a_context_the_client_cannot_use(emulator):
    emulator.load_scenario(
        "name: t\nrules:\n  - match: {phase: associate}\n"
        "    action: {reject_contexts: {transfer_syntaxes: [ExplicitVRLittleEndian]}}\n"
    )
    ae = AE(ae_title="EXPLICIT")
    ae.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)  # only this one
    ae.add_requested_context(MRImageStorage, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
    assoc = ae.associate("127.0.0.1", emulator.dicom_port, ae_title="FABRICATOR")
    assert assoc.is_established
    [ct] = assoc.rejected_contexts
    assert (ct.abstract_syntax, ct.result) == (CTImageStorage, 0x04)  # transfer syntaxes
    [mr] = assoc.accepted_contexts
    assert mr.transfer_syntax == [ImplicitVRLittleEndian]  # the one left
    assoc.release()


def test_connect_close_sends_nothing_and_the_connection_ends_with_fin_or_reset(emulator):
    emulator.load_scenario(
        "name: t\nrules:\n  - match: {phase: connect}\n    times: 1\n"
        "    action: {close: {mode: reset}}\n"
        "  - match: {phase: connect}\n    times: 1\n    action: {close: {}}\n"
    )
    for expected in ("reset", "fin"):
        with socket.create_connection(("127.0.0.1", emulator.dicom_port)) as conn:
            data, how = read_until_closed(conn)  # closed before the client could say a word
        assert (data, how) == (b"", expected)
    assoc = client(emulator.dicom_port)
    assert assoc.is_established  # both rules are used up
    assoc.release()
    assert wait_until(lambda: len(emulator.journal.associations(outcome="closed")) == 2)


def test_close_after_bytes_cuts_the_association_accept_mid_pdu(emulator):
    emulator.load_scenario(
        "name: t\nrules:\n  - match: {phase: associate}\n    action: {close: {after_bytes: 10}}\n"
    )
    with socket.create_connection(("127.0.0.1", emulator.dicom_port)) as conn:
        conn.sendall(association_request())
        data, how = read_until_closed(conn)
    assert len(data) == 10
    assert data[0] == 0x02  # the start of an A-ASSOCIATE-AC, cut inside the PDU
    assert how == "fin"


def test_connect_hang_holds_the_client_until_its_own_timeout(emulator):
    emulator.load_scenario(
        "name: t\nrules:\n  - match: {phase: connect}\n    action: {hang: {ms: 1500}}\n"
    )
    started = time.monotonic()
    assoc = client(emulator.dicom_port, timeout=0.5)
    assert not assoc.is_established
    assert time.monotonic() - started >= 0.5
    assert wait_until(lambda: emulator.journal.associations(outcome="closed"))


def test_throttle_slows_what_the_emulator_sends(emulator):
    emulator.load_scenario(
        "name: t\nrules:\n  - match: {phase: connect}\n"
        "    action: {throttle: {bytes_per_s: 1000}}\n"
    )
    started = time.monotonic()
    assoc = client(emulator.dicom_port)  # an A-ASSOCIATE-AC of ~200 bytes at 1000 bytes/s
    assert assoc.is_established
    assert time.monotonic() - started >= 0.15
    assoc.release()


def test_release_delay_then_release_abort_instead_of_a_reply(emulator):
    emulator.load_scenario(
        "name: t\nrules:\n"
        "  - match: {phase: release, calling_ae: SLOW}\n    action: {delay: {ms: 300}}\n"
        "  - match: {phase: release, calling_ae: RUDE}\n    action: {abort: {}}\n"
    )
    slow = client(emulator.dicom_port, calling="SLOW")
    started = time.monotonic()
    slow.release()
    assert slow.is_released
    assert time.monotonic() - started >= 0.3
    rude = client(emulator.dicom_port, calling="RUDE")
    rude.release()
    assert not rude.is_released
    assert "A_ABORT" in received_kinds(rude)


def test_a_hang_in_flight_ends_at_once_when_the_scenario_is_reset(emulator):
    emulator.load_scenario(
        "name: t\nrules:\n  - match: {phase: request, service: C-ECHO}\n    action: {hang: {}}\n"
    )
    assoc = client(emulator.dicom_port, timeout=30)
    answer: list = []
    thread = threading.Thread(target=lambda: answer.append(assoc.send_c_echo()))
    thread.start()
    assert wait_until(lambda: emulator.journal.messages(service="C-ECHO"))
    time.sleep(0.2)
    started = time.monotonic()
    emulator.reset_scenario()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert time.monotonic() - started < 5  # not the client's 30 s
    assert wait_until(lambda: assoc.is_aborted)  # a hang ends with an A-ABORT
    assert wait_until(lambda: emulator.journal.messages(service="C-ECHO", outcome="fault"))


@pytest.mark.parametrize(
    "garbage", [b"GET / HTTP/1.1\r\n\r\n", bytes(range(256)) * 4, b"\x04\x00\xff\xff\xff\xff"]
)
def test_garbage_under_a_scenario_closes_that_connection_and_others_are_served(emulator, garbage):
    emulator.load_scenario(
        "name: t\nrules:\n"
        "  - match: {phase: connect}\n    action: {throttle: {bytes_per_s: 100000}}\n"
        "  - match: {phase: release}\n    action: {delay: {ms: 10}}\n"
    )
    with socket.create_connection(("127.0.0.1", emulator.dicom_port), timeout=5) as s:
        s.sendall(garbage)
        s.shutdown(socket.SHUT_WR)
        data, _ = read_until_closed(s)
    assert data == b"" or data[0] == 0x07  # nothing, or an A-ABORT PDU
    assoc = client(emulator.dicom_port)
    assert assoc.send_c_echo().Status == 0
    assoc.release()
    assert assoc.is_released


@pytest.mark.parametrize(
    ("result", "outcome"), [(1, "rejected"), (2, "rejected"), (None, "closed")]
)
def test_a_connection_closed_before_its_rejection_is_noted_is_still_rejected(
    emulator, result, outcome
):
    """The peer may read the A-ASSOCIATE-RJ and close before EVT_REJECTED fires: the close
    notes the association as rejected all the same (closed when nothing was answered)."""
    from types import SimpleNamespace

    from pynetdicom.pdu_primitives import A_ASSOCIATE

    from emulator.dicom.notifications import AssociationTracker, handle_conn_close
    from emulator.dicom.wakeup import WakingQueue

    ctx = emulator.archive.ctx
    record = ctx.journal.open_association("127.0.0.1:104")
    answer = None
    if result is not None:
        answer = A_ASSOCIATE()
        answer.result, answer.result_source, answer.diagnostic = result, 1, 1
    assoc = SimpleNamespace(
        acceptor=SimpleNamespace(primitive=answer),
        dul=SimpleNamespace(to_user_queue=WakingQueue(lambda: None)),
    )
    tracker = AssociationTracker()
    tracker.put(assoc, record)
    handle_conn_close(SimpleNamespace(assoc=assoc), ctx, tracker)
    assert [a.outcome for a in ctx.journal.associations() if a.id == record.id] == [outcome]
