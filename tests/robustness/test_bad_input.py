"""Bad input gets a clear answer, loses nothing, and never stops the emulator serving others."""

from __future__ import annotations

import socket
import threading
from io import BytesIO

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE, build_context
from pynetdicom.dimse_messages import C_STORE_RQ
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.dsutils import encode
from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind, Verification

from tests.helpers import (
    ClientAE,
    associate,
    find,
    make_dataset,
    query,
    send_raw_store,
    wait_until,
)
from tests.helpers.pdus import associate_rq


def echo_works(emulator) -> bool:
    assoc = associate(emulator.dicom_port)
    try:
        return assoc.send_c_echo().Status == 0x0000
    finally:
        assoc.release()


def nothing_stored(emulator) -> bool:
    return (
        emulator.index.counts()["instances"] == 0
        and list(emulator.files.objects.rglob("*.dcm")) == []
        and list(emulator.files.tmp.iterdir()) == []
    )


@pytest.mark.parametrize(
    "garbage",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        bytes(range(256)) * 8,
        b"\x01\x00\x00\x00\x00\x02\x00",  # A-ASSOCIATE-RQ header, then nothing sensible
        b"\x04\x00\xff\xff\xff\xff",  # P-DATA before any association
    ],
)
def test_garbage_bytes_close_the_connection_and_the_emulator_keeps_serving(emulator, garbage):
    with socket.create_connection(("127.0.0.1", emulator.dicom_port), timeout=5) as s:
        s.sendall(garbage)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := s.recv(4096):  # the emulator answers (A-ABORT) or just closes
            data += chunk
    assert data == b"" or data[0] == 0x07  # nothing, or an A-ABORT PDU

    assert echo_works(emulator)
    assert emulator.journal.wait_for(
        lambda: any(a.outcome in ("closed", "aborted") for a in emulator.journal.associations())
    )


def test_client_abort_in_the_middle_of_a_store_leaves_nothing_behind(emulator):
    ds = make_dataset(Rows=512, Columns=512)
    ds.PixelData = np.zeros(512 * 512, dtype=np.uint16).tobytes()
    ae = AE(ae_title="ABORTER")
    ae.add_requested_context(CTImageStorage, ImplicitVRLittleEndian)
    assoc = ae.associate("127.0.0.1", emulator.dicom_port, ae_title=emulator.ae_title)
    assert assoc.is_established
    req = C_STORE()
    req.MessageID, req.Priority = 1, 2
    req.AffectedSOPClassUID, req.AffectedSOPInstanceUID = CTImageStorage, ds.SOPInstanceUID
    req.DataSet = BytesIO(encode(ds, True, True))
    message = C_STORE_RQ()
    message.primitive_to_message(req)
    fragments = list(message.encode_msg(assoc.accepted_contexts[0].context_id, 16382))
    assert len(fragments) > 10
    for fragment in fragments[:-1]:  # everything but the last fragment of the data set
        assoc.dul.send_pdu(fragment)
    assoc.abort()

    assert emulator.journal.wait_for(lambda: emulator.journal.associations(outcome="aborted"))
    assert emulator.journal.messages(service="C-STORE") == []
    assert nothing_stored(emulator)
    assert echo_works(emulator)


def test_25_concurrent_associations_store_and_find_without_loss(emulator):
    errors: list[str] = []

    def client(n: int) -> None:
        try:
            assoc = associate(
                emulator.dicom_port,
                build_context(CTImageStorage),
                StudyRootQueryRetrieveInformationModelFind,
                calling=f"MOD{n}",
            )
            for i in range(1, 5):
                ds = make_dataset(patient=(f"PATIENT^{n}", f"P{n}"), study=n, instance=i)
                status = assoc.send_c_store(ds)
                if status.Status != 0x0000:
                    errors.append(f"client {n} store {i}: 0x{status.Status:04X}")
            found = [
                s
                for s, _ in assoc.send_c_find(
                    query("STUDY", PatientID=f"P{n}", StudyInstanceUID=""),
                    StudyRootQueryRetrieveInformationModelFind,
                )
                if s.Status == 0xFF00
            ]
            if len(found) != 1:
                errors.append(f"client {n} found {len(found)} studies")
            assoc.release()
        except Exception as exc:  # reported below, with the client number
            errors.append(f"client {n}: {exc!r}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(1, 26)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert emulator.index.counts() == {
        "patients": 25,
        "studies": 25,
        "series": 25,
        "instances": 100,
    }


@pytest.mark.config(dicom__max_associations=2)
def test_associations_beyond_the_limit_are_rejected_transient_local_limit(emulator):
    held = [associate(emulator.dicom_port) for _ in range(2)]
    ae = ClientAE()  # pynetdicom's own may take a fast rejection for a refused connection
    ae.add_requested_context(Verification)
    extra = ae.associate("127.0.0.1", emulator.dicom_port, ae_title=emulator.ae_title)
    try:
        assert extra.is_rejected
        rj = extra.acceptor.primitive
        assert (rj.result, rj.result_source, rj.diagnostic) == (2, 3, 2)  # transient, limit
    finally:
        for assoc in held:
            assoc.release()
    assert echo_works(emulator)
    assert emulator.journal.wait_for(lambda: emulator.journal.associations(outcome="rejected"))


def test_bad_query_answers_a900_and_the_association_stays_usable(emulator):
    assoc = associate(emulator.dicom_port, StudyRootQueryRetrieveInformationModelFind)
    try:
        bad = list(
            assoc.send_c_find(
                query("SERIES", SeriesInstanceUID=""), StudyRootQueryRetrieveInformationModelFind
            )
        )
        good = list(
            assoc.send_c_find(
                query("STUDY", StudyInstanceUID=""), StudyRootQueryRetrieveInformationModelFind
            )
        )
    finally:
        assoc.release()
    assert bad[-1][0].Status == 0xA900
    assert good[-1][0].Status == 0x0000


def test_peer_that_vanishes_mid_find_does_not_break_the_server(emulator):
    from tests.helpers import part10

    for i in range(1, 200):
        emulator.archive.import_instance(part10(make_dataset(study=i, patient=("X", f"X{i}"))))
    assoc = associate(emulator.dicom_port, StudyRootQueryRetrieveInformationModelFind)
    responses = assoc.send_c_find(
        query("STUDY", StudyInstanceUID=""), StudyRootQueryRetrieveInformationModelFind
    )
    next(responses)
    assoc.dul.socket.socket.close()  # pull the cable

    assert emulator.journal.wait_for(
        lambda: any(a.outcome in ("aborted", "dropped") for a in emulator.journal.associations()),
        timeout=10,
    )
    results, final = find(emulator.dicom_port, query("STUDY", PatientID="X1", StudyInstanceUID=""))
    assert final.Status == 0x0000
    assert len(results) == 1


@pytest.mark.config(dicom__max_associations=2)
def test_connections_that_never_associate_do_not_hold_association_slots(emulator):
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", emulator.dicom_port), timeout=5) as s:
            s.sendall(b"\x00" * 64)
            s.shutdown(socket.SHUT_WR)
            while s.recv(4096):
                pass

    assert emulator.journal.wait_for(
        lambda: len(emulator.journal.associations(outcome="closed")) == 5
    )
    held = [associate(emulator.dicom_port) for _ in range(2)]  # both slots are free again
    for assoc in held:
        assoc.release()


@pytest.mark.config(dicom__max_associations=3)
def test_connections_stuck_inside_their_associate_request_do_not_lock_clients_out(emulator):
    """Slow or hostile peers that send 8 bytes of an A-ASSOCIATE-RQ and wait hold no slot:
    modalities still associate, and the limit still counts the real associations."""
    stuck = [socket.create_connection(("127.0.0.1", emulator.dicom_port)) for _ in range(10)]
    try:
        for conn in stuck:
            conn.sendall(associate_rq()[:8])
        assert wait_until(lambda: len(emulator.journal.associations()) == 10)
        held = [associate(emulator.dicom_port) for _ in range(3)]  # every slot, for real ones
        try:
            assert held[0].send_c_echo().Status == 0x0000
            ae = ClientAE(ae_title="FOURTH")
            ae.add_requested_context(Verification)
            fourth = ae.associate("127.0.0.1", emulator.dicom_port, ae_title=emulator.ae_title)
            assert fourth.is_rejected  # the limit counts the three real ones
        finally:
            for assoc in held:
                assoc.release()
    finally:
        for conn in stuck:
            conn.close()


def nested(depth: int) -> bytes:
    """A ProcedureCodeSequence element nested *depth* times, explicit VR little endian, with
    undefined lengths (pydicom takes minutes to encode that depth itself)."""
    undefined = b"\xff\xff\xff\xff"
    head = b"\x08\x00\x32\x10SQ\x00\x00" + undefined + b"\xfe\xff\x00\xe0" + undefined
    tail = b"\xfe\xff\x0d\xe0\x00\x00\x00\x00" + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    return head * depth + b"\x08\x00\x00\x01SH\x02\x00X " + tail * depth


def test_an_indexed_sequence_nested_thousands_deep_is_answered_in_one_log_line(emulator, caplog):
    """pydicom decodes sequences recursively: a RecursionError is bad input, not a bug, so
    0xC000 saying why, no traceback, nothing stored, and the association goes on."""
    ds = make_dataset()
    item = Dataset()
    item.CodeValue = "X"
    ds.ProcedureCodeSequence = [item]
    payload = encode(ds, False, True)
    start = payload.index(b"\x08\x00\x32\x10SQ\x00\x00")  # the element, with its length
    end = start + 12 + int.from_bytes(payload[start + 8 : start + 12], "little")
    payload = payload[:start] + nested(5000) + payload[end:]
    assoc = associate(
        emulator.dicom_port, build_context(CTImageStorage, ExplicitVRLittleEndian), Verification
    )
    try:
        rsp = send_raw_store(assoc, CTImageStorage, ds.SOPInstanceUID, payload)
        assert assoc.send_c_echo().Status == 0x0000
    finally:
        assoc.release()
    assert nothing_stored(emulator)
    assert rsp.Status == 0xC000
    assert rsp.ErrorComment == "dataset cannot be decoded: sequences nested too deep"
    assert not [r for r in caplog.records if r.exc_info]
