"""Connections that have not associated cost a socket, not an association: no thread, no slot,
a deadline of their own, and a cap; and many clients at once are all answered."""

from __future__ import annotations

import logging
import socket
import threading

import pytest
from pydicom.uid import CTImageStorage
from pynetdicom import build_context
from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind, Verification

from tests.helpers import ClientAE, associate, make_dataset, query, wait_until
from tests.helpers.pdus import associate_rq


def closed_by_server(conn: socket.socket, timeout: float = 10) -> bool:
    """True once the server has closed *conn* (EOF or reset), within *timeout*."""
    conn.settimeout(timeout)
    try:
        while conn.recv(4096):
            pass
    except TimeoutError:
        return False
    except OSError:
        pass  # reset
    return True


def echo_works(port: int) -> bool:
    assoc = associate(port)
    try:
        return assoc.send_c_echo().Status == 0x0000
    finally:
        assoc.release()


def test_silent_and_partial_connections_cost_no_thread_and_clients_are_still_served(emulator):
    """200 connections that send nothing and 60 stuck inside their A-ASSOCIATE-RQ: the
    emulator starts no thread for any of them, and a modality still associates."""
    before = threading.active_count()
    idle = [socket.create_connection(("127.0.0.1", emulator.dicom_port)) for _ in range(200)]
    partial = [socket.create_connection(("127.0.0.1", emulator.dicom_port)) for _ in range(60)]
    try:
        for conn in partial:
            conn.sendall(associate_rq()[:8])
        assert wait_until(lambda: len(emulator.journal.associations()) == 260)
        assert threading.active_count() <= before + 2
        assert echo_works(emulator.dicom_port)
        # the echo's threads (server and client side) end once it is released
        assert wait_until(lambda: threading.active_count() <= before + 2)
    finally:
        for conn in idle + partial:
            conn.close()
    assert emulator.journal.wait_for(
        lambda: len(emulator.journal.associations(outcome="closed")) == 260, timeout=10
    )


@pytest.mark.config(dicom__first_pdu_timeout=0.3)
def test_a_connection_without_an_associate_request_is_closed_after_the_first_pdu_timeout(
    emulator, caplog
):
    caplog.set_level(logging.INFO, "emulator.dicom")
    with (
        socket.create_connection(("127.0.0.1", emulator.dicom_port)) as silent,
        socket.create_connection(("127.0.0.1", emulator.dicom_port)) as partial,
    ):
        partial.sendall(associate_rq()[:20])
        assert closed_by_server(silent)
        assert closed_by_server(partial)
    # the journal is written right after the connection is closed
    assert wait_until(
        lambda: [a.outcome for a in emulator.journal.associations()] == ["closed", "closed"]
    )

    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if "first_pdu_timeout" in r.getMessage()]

    assert wait_until(lambda: len(lines()) == 2)
    assert "no complete A-ASSOCIATE-RQ within 0.3 s" in lines()[0]


@pytest.mark.config(dicom__max_pending_connections=5)
def test_beyond_the_pending_cap_the_longest_waiting_connection_is_closed(emulator):
    waiting = [socket.create_connection(("127.0.0.1", emulator.dicom_port)) for _ in range(5)]
    try:
        assert wait_until(lambda: len(emulator.journal.associations()) == 5)
        newest = socket.create_connection(("127.0.0.1", emulator.dicom_port))
        assert closed_by_server(waiting[0])
        # the others still wait, and the newest can still associate
        newest.sendall(associate_rq())
        newest.settimeout(10)
        assert newest.recv(1) == b"\x02"  # A-ASSOCIATE-AC
        newest.close()
        assert wait_until(lambda: emulator.journal.associations()[0].outcome == "closed")
        assert [a.outcome for a in emulator.journal.associations()[1:5]] == ["open"] * 4
    finally:
        for conn in waiting:
            conn.close()


def test_an_associate_request_arriving_in_pieces_is_accepted(emulator):
    rq = associate_rq()
    with socket.create_connection(("127.0.0.1", emulator.dicom_port)) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for start in range(0, len(rq), 7):
            conn.sendall(rq[start : start + 7])
        conn.settimeout(10)
        assert conn.recv(1) == b"\x02"  # A-ASSOCIATE-AC


def test_an_oversized_associate_request_is_refused_without_reading_it(emulator, caplog):
    caplog.set_level(logging.INFO, "emulator.dicom")
    header = b"\x01\x00" + (2**32 - 1).to_bytes(4, "big")
    with socket.create_connection(("127.0.0.1", emulator.dicom_port)) as conn:
        conn.sendall(header + b"\x00" * 100)
        assert closed_by_server(conn)
    assert wait_until(lambda: emulator.journal.associations()[0].outcome == "closed")
    assert wait_until(lambda: any("4294967295 bytes" in r.getMessage() for r in caplog.records))
    assert echo_works(emulator.dicom_port)


@pytest.mark.config(dicom__max_associations=60)
def test_fifty_concurrent_associations_storing_finding_and_echoing_lose_no_response(emulator):
    """Every request of 50 associations at once gets its response, with the right status."""
    problems: list[str] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        try:
            assoc = associate(
                emulator.dicom_port,
                build_context(CTImageStorage),
                StudyRootQueryRetrieveInformationModelFind,
                Verification,
                calling=f"LOAD{n}",
            )
        except AssertionError as exc:
            with lock:
                problems.append(f"{n}: {exc}")
            return
        try:
            for i in range(1, 6):
                ds = make_dataset(study=1000 + n, instance=i, patient=(f"LOAD^{n}", f"L{n}"))
                stored = assoc.send_c_store(ds)
                found = list(
                    assoc.send_c_find(
                        query("STUDY", PatientID=f"L{n}", StudyInstanceUID=""),
                        StudyRootQueryRetrieveInformationModelFind,
                    )
                )
                echoed = assoc.send_c_echo()
                got = (
                    stored.get("Status"),
                    [s.get("Status") for s, _ in found],
                    echoed.get("Status"),
                )
                if got != (0x0000, [0xFF00, 0x0000], 0x0000):
                    with lock:
                        problems.append(f"{n}/{i}: {got}")
        finally:
            assoc.release()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(50)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not problems, problems
    assert emulator.index.counts()["instances"] == 250
    assert not emulator.journal.internal_errors()


def test_an_association_after_a_quiet_moment_gets_the_objects_built_ahead(emulator):
    """In a quiet moment after a handoff the gate has the next association's objects built
    (off the path from A-ASSOCIATE-RQ to A-ASSOCIATE-AC); the next association takes them,
    with the AE's timeouts as they are when it arrives, not as they were when built."""
    server = emulator._server
    assert echo_works(emulator.dicom_port)
    assert wait_until(lambda: server._spare is not None)
    spare = server._spare
    server.ae.network_timeout = 17

    assoc = associate(emulator.dicom_port)
    try:
        assert spare in server.associations
        assert spare.network_timeout == 17
        assert spare.dul._idle_timer.timeout == 17  # the DUL's timer follows the setter
        assert assoc.send_c_echo().Status == 0x0000
    finally:
        assoc.release()
    assert wait_until(lambda: server._spare is not None and server._spare is not spare)


def test_associations_in_a_burst_build_their_own_objects(emulator):
    """Without a quiet moment between them no spare is ready: each builds its own."""
    results = []

    def echo() -> None:
        results.append(echo_works(emulator.dicom_port))

    threads = [threading.Thread(target=echo) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [True] * 12


def _record_starts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, str, str]]:
    """How each accepted association stands when its threads start: established, its
    state machine's state, the thread starting it."""
    from emulator.dicom.association import EmulatorAssociation

    starts: list[tuple[bool, str, str]] = []
    original = EmulatorAssociation.start

    def start(self: EmulatorAssociation) -> None:
        state = self.dul.state_machine.current_state
        starts.append((self.is_established, state, threading.current_thread().name))
        original(self)

    monkeypatch.setattr(EmulatorAssociation, "start", start)
    return starts


def test_without_an_associate_rule_the_request_is_answered_before_any_thread_starts(
    emulator, monkeypatch
):
    """The gate has the whole A-ASSOCIATE-RQ: it negotiates and sends the answer itself,
    and the association's threads start established (no thread start between a request and
    its answer). The journal notes the request as ever, and the limit counts it."""
    starts = _record_starts(monkeypatch)
    assoc = associate(emulator.dicom_port)
    try:
        assert assoc.send_c_echo().Status == 0x0000
    finally:
        assoc.release()
    assert starts == [(True, "Sta6", "dicom-listener")]
    assert emulator.journal.wait_for(
        lambda: (
            [a.calling_ae for a in emulator.journal.associations(outcome="released")] == ["TESTSCU"]
        )
    )


def test_an_associate_rule_has_the_association_s_own_thread_negotiate(emulator, monkeypatch):
    """A scenario's associate phase may delay or hang: the gate leaves the request to the
    association's thread, and serves other connections meanwhile."""
    emulator.load_scenario(
        "name: t\nrules:\n  - match: {phase: associate}\n    action: {max_pdu: {bytes: 4096}}\n"
    )
    starts = _record_starts(monkeypatch)
    assoc = associate(emulator.dicom_port)
    try:
        assert assoc.acceptor.maximum_length == 4096
    finally:
        assoc.release()
    assert starts == [(False, "Sta1", "dicom-listener")]


@pytest.mark.config(dicom__allowed_calling_aes="MOD1")
def test_a_rejection_on_the_threads_built_ahead_ends_its_connection(emulator):
    """The association built in a quiet moment has its threads started, waiting: one that
    the gate rejects (calling AE not allowed) still finishes its exchange on them, and the
    next association is served."""
    server = emulator._server
    associate(emulator.dicom_port, calling="MOD1").release()
    assert wait_until(lambda: server._spare is not None)
    spare = server._spare
    assert (spare.is_alive(), spare.dul.is_alive()) == (True, True)  # parked, waiting

    ae = ClientAE(ae_title="INTRUDER")
    ae.add_requested_context(Verification)
    rejected = ae.associate("127.0.0.1", emulator.dicom_port, ae_title=emulator.ae_title)
    assert rejected.is_rejected
    assert rejected.acceptor.primitive.diagnostic == 3  # calling AE title not recognized
    assert wait_until(lambda: not spare.is_alive() and not spare.dul.is_alive())
    again = associate(emulator.dicom_port, calling="MOD1")
    try:
        assert again.send_c_echo().Status == 0x0000
    finally:
        again.release()


@pytest.mark.config(dicom__max_associations=1)
def test_a_failure_while_the_gate_negotiates_aborts_that_association_only(
    emulator, monkeypatch, caplog
):
    """A bug inside negotiation, in the gate's thread: that association gets an A-ABORT as
    an exception in pynetdicom's own loops would give it, its threads end, it holds no
    association slot, and the gate serves the next one."""
    from emulator.dicom.faults import FaultACSE  # the emulator's ACSE, not the client's

    server = emulator._server
    associate(emulator.dicom_port).release()
    assert wait_until(lambda: server._spare is not None)
    spare = server._spare

    def failing(self: FaultACSE) -> None:
        raise RuntimeError("a bug in negotiation")

    monkeypatch.setattr(FaultACSE, "negotiate_association", failing, raising=False)
    ae = ClientAE()
    ae.add_requested_context(Verification)
    failed = ae.associate("127.0.0.1", emulator.dicom_port, ae_title=emulator.ae_title)
    assert failed.is_aborted
    assert wait_until(lambda: not spare.is_alive() and not spare.dul.is_alive())
    monkeypatch.undo()
    assert echo_works(emulator.dicom_port)  # the one slot is free, the gate still serves
    assert "a bug in negotiation" in caplog.text


def test_an_association_that_fails_to_start_lets_its_threads_built_ahead_end(
    emulator, monkeypatch, caplog
):
    """A bug between taking the parked association and letting its threads go: the gate logs
    it and closes that connection, the parked threads end, the next client is served."""
    from emulator.dicom.association import EmulatorRequestHandler

    server = emulator._server
    associate(emulator.dicom_port).release()
    assert wait_until(lambda: server._spare is not None)
    spare = server._spare

    def failing(self: EmulatorRequestHandler, assoc: object) -> None:
        raise RuntimeError("a bug before the start")

    monkeypatch.setattr(EmulatorRequestHandler, "_start", failing)
    ae = ClientAE()
    ae.add_requested_context(Verification)
    assert not ae.associate("127.0.0.1", emulator.dicom_port).is_established
    assert wait_until(lambda: not spare.is_alive() and not spare.dul.is_alive())
    monkeypatch.undo()
    assert echo_works(emulator.dicom_port)
    assert "could not start an association" in caplog.text


def test_a_spare_that_fails_while_parking_lets_its_threads_end(emulator, monkeypatch, caplog):
    """A bug while the quiet moment parks the next association's threads: whatever was
    started ends, the gate logs it, and associations build their own objects."""
    from emulator.dicom.association import EmulatorAssociation

    parked: list[EmulatorAssociation] = []
    original = EmulatorAssociation.park

    def failing(self: EmulatorAssociation) -> None:
        original(self)  # both threads started and waiting
        parked.append(self)
        raise RuntimeError("a bug while parking")

    monkeypatch.setattr(EmulatorAssociation, "park", failing)
    assert echo_works(emulator.dicom_port)  # a handoff: the quiet moment follows
    assert wait_until(lambda: bool(parked))
    assert wait_until(lambda: not parked[0].is_alive() and not parked[0].dul.is_alive())
    assert emulator._server._spare is None
    assert echo_works(emulator.dicom_port)
    assert "could not prepare an association" in caplog.text
