"""C-MOVE and C-GET (PS3.4 C.4.2, C.4.3) over real associations, pynetdicom as the SCU."""

from __future__ import annotations

import socket

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, MRImageStorage
from pynetdicom import AE, build_role, evt
from pynetdicom.sop_class import (
    CTImageStorage,
    PatientRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelGet,
)

from emulator.remotes import RemoteAE
from tests.helpers import (
    PYDICOM_DATA,
    StoreSCP,
    free_port,
    make_dataset,
    part10,
    query,
    registered_scp,
    uid,
)
from tests.helpers.retrieve import MOVE, archive, counts, destination, move

__all__ = ["archive", "destination"]  # fixtures from tests/helpers


@pytest.mark.parametrize(
    ("model", "identifier", "expected"),
    [
        (
            "PATIENT_ROOT",
            query("PATIENT", PatientID="P1"),
            {uid(1, 1, 1, i) for i in (1, 2, 3)}
            | {uid(1, 1, 2, 1), uid(1, 1, 2, 2), uid(1, 2, 1, 1)},
        ),
        (
            "STUDY_ROOT",
            query("STUDY", StudyInstanceUID=[uid(1, 2), uid(1, 3)]),
            {uid(1, 2, 1, 1)} | {uid(1, 3, 1, i) for i in range(1, 5)},
        ),
        (
            "STUDY_ROOT",
            query("SERIES", StudyInstanceUID=uid(1, 1), SeriesInstanceUID=uid(1, 1, 2)),
            {uid(1, 1, 2, 1), uid(1, 1, 2, 2)},
        ),
        (
            "PATIENT_ROOT",
            query(
                "IMAGE",
                PatientID="P1",
                StudyInstanceUID=uid(1, 1),
                SeriesInstanceUID=uid(1, 1, 1),
                SOPInstanceUID=uid(1, 1, 1, 2),
            ),
            {uid(1, 1, 1, 2)},
        ),
        (
            "PATIENT_STUDY_ONLY",
            query("STUDY", PatientID="P2", StudyInstanceUID=uid(1, 3)),
            {uid(1, 3, 1, i) for i in range(1, 5)},
        ),
    ],
)
def test_c_move_sends_exactly_the_matching_instances(
    archive, destination, model, identifier, expected
):
    _responses, final = move(archive, identifier, model=model)

    assert final.Status == 0x0000
    assert destination.uids() == expected
    assert counts(final)[1:] == (len(expected), 0, 0)


def test_c_move_pending_responses_count_down(archive, destination):
    responses, _ = move(archive, query("STUDY", StudyInstanceUID=uid(1, 3)))

    pending = [counts(s) for s, _ in responses if s.Status == 0xFF00]
    if pending[:1] == [(4, 0, 0, 0)]:
        # a busy machine slow to accept the sub-association: the requestor was told, nothing
        # done yet, before the wait (see the slow destination spec below)
        pending = pending[1:]
    assert pending == [(3, 1, 0, 0), (2, 2, 0, 0), (1, 3, 0, 0), (0, 4, 0, 0)]


def test_c_move_sub_operations_carry_the_move_originator(archive, destination):
    move(archive, query("STUDY", StudyInstanceUID=uid(1, 2)))
    [(uid_, syntax)] = destination.received
    assert syntax == ExplicitVRLittleEndian  # as stored
    assert destination.datasets[uid_].SOPInstanceUID == uid_


def test_c_move_with_no_match_succeeds_with_no_sub_operations(archive, destination):
    responses, final = move(archive, query("STUDY", StudyInstanceUID=uid(9, 9)))
    assert len(responses) == 1
    assert final.Status == 0x0000
    assert counts(final)[1:] == (0, 0, 0)
    assert destination.received == []


def test_a_destination_slow_to_accept_gets_the_requestor_a_pending_response_meanwhile(archive):
    """DCMTK's movescu --port looks for the incoming sub-association only when a response
    wakes it (else once a second): a Pending with nothing done yet comes before the wait."""
    with registered_scp(archive, "SLOW", accept_delay=0.6) as scp:
        ae = AE(ae_title="MOVER")
        ae.add_requested_context(MOVE["STUDY_ROOT"])
        assoc = ae.associate("127.0.0.1", archive.dicom_port, ae_title=archive.ae_title)
        try:
            responses = assoc.send_c_move(
                query("STUDY", StudyInstanceUID=uid(1, 1)), "SLOW", MOVE["STUDY_ROOT"]
            )
            first, _ = next(responses)
            accepted_before = scp.accepted.is_set()
            rest = [status for status, _ in responses]
        finally:
            assoc.release()
    assert not accepted_before
    assert (first.Status, counts(first)) == (0xFF00, (5, 0, 0, 0))
    assert rest[-1].Status == 0x0000
    assert len(scp.received) == 5


@pytest.mark.parametrize("study", [uid(1, 1), uid(9, 9)], ids=["matches", "no match"])
def test_c_move_to_an_unknown_destination_is_a801_naming_it_whatever_matches(archive, study):
    _, final = move(archive, query("STUDY", StudyInstanceUID=study), destination="NOBODY")
    assert final.Status == 0xA801
    assert "NOBODY" in final.ErrorComment


def test_c_move_to_a_destination_that_is_down_is_a702(archive):
    archive.remote_aes.put(RemoteAE("down", "DOWN", "127.0.0.1", free_port()))
    _, final = move(archive, query("STUDY", StudyInstanceUID=uid(1, 1)), destination="DOWN")
    assert final.Status == 0xA702
    assert "destination DOWN at 127.0.0.1:" in final.ErrorComment
    assert counts(final)[1:] == (0, 5, 0)


def test_c_move_to_a_destination_that_rejects_the_association_is_a702(archive):
    with registered_scp(archive, "PICKY", require_calling=["SOMEONE_ELSE"]):
        _, final = move(archive, query("STUDY", StudyInstanceUID=uid(1, 1)), destination="PICKY")
    assert final.Status == 0xA702
    assert "rejected" in final.ErrorComment


def test_c_move_with_some_failed_stores_is_b000_with_the_failed_uids(archive):
    with registered_scp(archive, "FLAKY", answer={uid(1, 3, 1, 2): 0xA700}):
        responses, final = move(archive, query("STUDY", StudyInstanceUID=uid(1, 3)), "FLAKY")
    assert final.Status == 0xB000
    assert counts(final)[1:] == (3, 1, 0)
    assert responses[-1][1].FailedSOPInstanceUIDList == uid(1, 3, 1, 2)  # VM 1: a string


def test_c_move_cancel_stops_with_fe00_and_counts(archive):
    for i in range(1, 41):
        archive.archive.import_instance(part10(make_dataset(study=7, instance=i)))
    with registered_scp(archive, "SLOW", delay=0.02) as slow:
        _responses, final = move(
            archive, query("STUDY", StudyInstanceUID=uid(1, 7)), "SLOW", cancel_after=3
        )
    assert final.Status == 0xFE00
    remaining, completed, failed, _ = counts(final)
    assert remaining + completed + failed == 40
    assert remaining > 0
    assert len(slow.received) < 40


def test_c_move_converts_to_implicit_vr_when_that_is_all_the_destination_takes(archive):
    with registered_scp(archive, "IMPLICIT", syntaxes=[ImplicitVRLittleEndian]) as scp:
        _, final = move(archive, query("STUDY", StudyInstanceUID=uid(1, 1)), "IMPLICIT")
    assert final.Status == 0x0000
    assert {syntax for _, syntax in scp.received} == {ImplicitVRLittleEndian}
    assert len(scp.received) == 5


def test_c_move_decompresses_rle_for_a_destination_taking_only_uncompressed(archive):
    rle = dcmread(PYDICOM_DATA / "test_files" / "MR_small_RLE.dcm")
    archive.archive.import_instance((PYDICOM_DATA / "test_files" / "MR_small_RLE.dcm").read_bytes())
    with registered_scp(
        archive, "PLAIN", syntaxes=[ExplicitVRLittleEndian, ImplicitVRLittleEndian]
    ) as scp:
        _, final = move(archive, query("STUDY", StudyInstanceUID=rle.StudyInstanceUID), "PLAIN")
    assert final.Status == 0x0000
    [(sop_uid, syntax)] = scp.received
    assert sop_uid == rle.SOPInstanceUID  # the same instance, decompressed: not a new one
    assert syntax in (ExplicitVRLittleEndian, ImplicitVRLittleEndian)
    arrived = scp.datasets[sop_uid]
    assert arrived.SOPInstanceUID == rle.SOPInstanceUID
    assert (arrived.pixel_array == rle.pixel_array).all()


def test_c_move_keeps_the_stored_compressed_syntax_when_the_destination_takes_it(
    archive, destination
):
    rle = dcmread(PYDICOM_DATA / "test_files" / "MR_small_RLE.dcm")
    archive.archive.import_instance((PYDICOM_DATA / "test_files" / "MR_small_RLE.dcm").read_bytes())
    _, final = move(archive, query("STUDY", StudyInstanceUID=rle.StudyInstanceUID))
    assert final.Status == 0x0000
    [(sop_uid, syntax)] = destination.received
    assert syntax == rle.file_meta.TransferSyntaxUID
    assert destination.datasets[sop_uid].PixelData == rle.PixelData


def move_j2k_to_uncompressed_only(archive):
    j2k = PYDICOM_DATA / "test_files" / "JPEG2000.dcm"
    archive.archive.import_instance(j2k.read_bytes())
    original = dcmread(j2k)
    with registered_scp(archive, "PLAIN", syntaxes=[ExplicitVRLittleEndian]) as scp:
        _, final = move(
            archive, query("STUDY", StudyInstanceUID=original.StudyInstanceUID), "PLAIN"
        )
    return original, final, scp


def test_c_move_decompresses_jpeg_2000_with_the_jpeg_extra_installed(archive):
    original, final, scp = move_j2k_to_uncompressed_only(archive)
    assert final.Status == 0x0000
    [(sop_uid, syntax)] = scp.received
    assert (sop_uid, syntax) == (original.SOPInstanceUID, ExplicitVRLittleEndian)
    assert (scp.datasets[sop_uid].pixel_array == original.pixel_array).all()


@pytest.mark.parametrize(
    "name",
    [
        "SC_rgb_jpeg_dcmtk.dcm",  # JPEG Baseline (Process 1)
        "JPGExtended.dcm",  # JPEG Extended, 12-bit (the jpeg-gpl extra: pylibjpeg-libjpeg)
        "SC_rgb_jpeg_gdcm.dcm",  # JPEG Lossless, First-Order Prediction (SV1)
        "MR_small_jpeg_ls_lossless.dcm",  # JPEG-LS Lossless
        "MR_small_jp2klossless.dcm",  # JPEG 2000 Lossless Only
    ],
)
def test_c_move_decompresses_every_jpeg_family_for_an_uncompressed_only_destination(archive, name):
    path = PYDICOM_DATA / "test_files" / name
    archive.archive.import_instance(path.read_bytes())
    original = dcmread(path)
    with registered_scp(archive, "PLAIN", syntaxes=[ExplicitVRLittleEndian]) as scp:
        _, final = move(
            archive, query("STUDY", StudyInstanceUID=original.StudyInstanceUID), "PLAIN"
        )
    assert final.Status == 0x0000, final.get("ErrorComment")
    [(sop_uid, syntax)] = scp.received
    assert (sop_uid, syntax) == (original.SOPInstanceUID, ExplicitVRLittleEndian)
    assert (scp.datasets[sop_uid].pixel_array == original.pixel_array).all()


def test_c_move_of_an_instance_that_cannot_be_converted_is_a_failed_sub_operation(
    archive, monkeypatch
):
    def no_decoder(self, *args, **kwargs):
        raise RuntimeError("no JPEG 2000 decoder is available")

    monkeypatch.setattr(Dataset, "decompress", no_decoder)
    _, final, scp = move_j2k_to_uncompressed_only(archive)
    assert scp.received == []
    assert final.Status == 0xA702  # every (the one) sub-operation failed: not a crash
    assert "1 of 1" in final.ErrorComment


@pytest.mark.parametrize(
    ("identifier", "comment"),
    [
        (query("STUDY"), "StudyInstanceUID"),
        (query("SERIES", SeriesInstanceUID=uid(1, 1, 1)), "StudyInstanceUID"),
        (query("STUDY", StudyInstanceUID="1.*"), "StudyInstanceUID"),
    ],
)
def test_c_move_identifier_without_its_unique_key_is_a900(
    archive, destination, identifier, comment
):
    _, final = move(archive, identifier)
    assert final.Status == 0xA900
    assert comment in final.ErrorComment
    assert destination.received == []


def test_c_move_is_journaled_with_destination_and_counts(archive, destination):
    move(archive, query("STUDY", StudyInstanceUID=uid(1, 1)))
    [record] = archive.journal.messages(service="C-MOVE")
    assert record.status == 0x0000
    assert record.matches == 5
    assert record.extra["destination"] == f"DEST@127.0.0.1:{destination.port}"
    assert record.extra["completed"] == 5


# -- C-GET ----------------------------------------------------------------------------------


def get(
    emulator,
    identifier,
    roles=(CTImageStorage, MRImageStorage),
    cancel_after=None,
    model=StudyRootQueryRetrieveInformationModelGet,
):
    """Run a C-GET, acting as storage SCP for *roles*; return (responses, final, received)."""
    received = []

    def on_store(event):
        received.append(str(event.request.AffectedSOPInstanceUID))
        return 0x0000

    ae = AE(ae_title="GETTER")
    ae.add_requested_context(model)
    for sop_class in (CTImageStorage, MRImageStorage):
        ae.add_requested_context(sop_class)
    assoc = ae.associate(
        "127.0.0.1",
        emulator.dicom_port,
        ae_title=emulator.ae_title,
        ext_neg=[build_role(sop, scp_role=True) for sop in roles],
        evt_handlers=[(evt.EVT_C_STORE, on_store)],
    )
    assert assoc.is_established
    responses = []
    try:
        for status, ds in assoc.send_c_get(identifier, model, msg_id=3):
            responses.append((status, ds))
            if cancel_after and len(responses) == cancel_after:
                assoc.send_c_cancel(3, context_id=1)
    finally:
        assoc.release()
    return responses, responses[-1][0], received


def test_c_get_sends_the_matches_over_the_same_association(archive):
    responses, final, received = get(archive, query("STUDY", StudyInstanceUID=uid(1, 1)))
    assert final.Status == 0x0000
    assert set(received) == {uid(1, 1, 1, i) for i in (1, 2, 3)} | {
        uid(1, 1, 2, 1),
        uid(1, 1, 2, 2),
    }
    assert [counts(s)[0] for s, _ in responses[:-1]] == [4, 3, 2, 1, 0]


def test_c_get_patient_root_patient_level(archive):
    _, final, received = get(
        archive, query("PATIENT", PatientID="P2"), model=PatientRootQueryRetrieveInformationModelGet
    )
    assert final.Status == 0x0000
    assert len(received) == 4


def test_c_get_without_the_scp_role_fails_every_sub_operation(archive):
    responses, final, received = get(archive, query("STUDY", StudyInstanceUID=uid(1, 3)), roles=())
    assert final.Status == 0xA702
    assert received == []
    assert counts(final)[1:] == (0, 4, 0)
    assert len(responses[-1][1].FailedSOPInstanceUIDList) == 4


def test_c_get_with_the_role_for_some_classes_only_is_b000(archive):
    archive.archive.import_instance(
        part10(make_dataset(patient=("SMITH", "P1"), study=1, series=9, modality="MR"))
    )
    _, final, received = get(
        archive, query("STUDY", StudyInstanceUID=uid(1, 1)), roles=(CTImageStorage,)
    )
    assert final.Status == 0xB000
    assert counts(final)[1:] == (5, 1, 0)
    assert len(received) == 5


def test_c_get_bad_identifier_is_a900_without_sub_operations(archive):
    responses, final, received = get(archive, query("SERIES", SeriesInstanceUID=uid(1, 1, 1)))
    assert len(responses) == 1
    assert final.Status == 0xA900
    assert "StudyInstanceUID" in final.ErrorComment
    assert received == []


def test_c_move_needing_more_than_128_contexts_uses_several_sub_associations(archive, destination):
    from pynetdicom import AllStoragePresentationContexts

    classes = [str(cx.abstract_syntax) for cx in AllStoragePresentationContexts][:130]
    for n, sop_class in enumerate(classes, start=1):
        archive.archive.import_instance(
            part10(make_dataset(study=50, series=n, sop_class=sop_class))
        )

    _, final = move(archive, query("STUDY", StudyInstanceUID=uid(1, 50)))

    assert final.Status == 0x0000
    assert counts(final)[1:] == (130, 0, 0)
    assert len(destination.received) == 130
    assert len(destination.associations) == 2  # 128 contexts, then 2


def test_c_get_cancel_stops_with_fe00_and_counts(archive):
    for i in range(1, 201):
        archive.archive.import_instance(part10(make_dataset(study=8, instance=i)))
    _responses, final, received = get(
        archive, query("STUDY", StudyInstanceUID=uid(1, 8)), cancel_after=2
    )
    assert final.Status == 0xFE00
    remaining, completed, failed, _ = counts(final)
    assert remaining + completed + failed == 200
    assert remaining > 0
    assert len(received) == completed


GET_MODELS = {
    "PATIENT_ROOT": PatientRootQueryRetrieveInformationModelGet,
    "STUDY_ROOT": StudyRootQueryRetrieveInformationModelGet,
    "PATIENT_STUDY_ONLY": "1.2.840.10008.5.1.4.1.2.3.3",
}


@pytest.mark.parametrize(
    ("model", "identifier", "expected"),
    [
        ("PATIENT_ROOT", query("PATIENT", PatientID="P2"), {uid(1, 3, 1, i) for i in range(1, 5)}),
        (
            "PATIENT_ROOT",
            query("STUDY", PatientID="P1", StudyInstanceUID=uid(1, 2)),
            {uid(1, 2, 1, 1)},
        ),
        (
            "STUDY_ROOT",
            query(
                "SERIES", StudyInstanceUID=uid(1, 1), SeriesInstanceUID=[uid(1, 1, 1), uid(1, 1, 2)]
            ),
            {uid(1, 1, 1, i) for i in (1, 2, 3)} | {uid(1, 1, 2, 1), uid(1, 1, 2, 2)},
        ),
        (
            "STUDY_ROOT",
            query(
                "IMAGE",
                StudyInstanceUID=uid(1, 3),
                SeriesInstanceUID=uid(1, 3, 1),
                SOPInstanceUID=uid(1, 3, 1, 4),
            ),
            {uid(1, 3, 1, 4)},
        ),
        (
            "PATIENT_STUDY_ONLY",
            query("STUDY", PatientID="P1", StudyInstanceUID=uid(1, 1)),
            {uid(1, 1, 1, i) for i in (1, 2, 3)} | {uid(1, 1, 2, 1), uid(1, 1, 2, 2)},
        ),
    ],
)
def test_c_get_sends_exactly_the_matching_instances(archive, model, identifier, expected):
    _, final, received = get(archive, identifier, model=GET_MODELS[model])
    assert final.Status == 0x0000
    assert set(received) == expected
    assert counts(final)[1:] == (len(expected), 0, 0)


def test_c_move_converts_big_endian_for_a_little_endian_destination(archive):
    source = PYDICOM_DATA / "test_files" / "MR_small_bigendian.dcm"
    original = dcmread(source)
    archive.archive.import_instance(source.read_bytes())
    with registered_scp(
        archive, "LE", syntaxes=[ExplicitVRLittleEndian, ImplicitVRLittleEndian]
    ) as scp:
        _, final = move(archive, query("STUDY", StudyInstanceUID=original.StudyInstanceUID), "LE")
    assert final.Status == 0x0000
    [(sop_uid, syntax)] = scp.received
    arrived = scp.datasets[sop_uid]
    arrived.file_meta = Dataset()
    arrived.file_meta.TransferSyntaxUID = syntax
    assert (arrived.pixel_array == original.pixel_array).all()
    assert arrived.PatientName == original.PatientName


@pytest.fixture
def tls_destination(tmp_path):
    """A storage SCP that only speaks TLS, with a certificate from a throwaway CA."""
    import ssl

    import trustme

    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    scp = StoreSCP("SECURE", ssl_context=server_context)
    yield scp, ca_file
    scp.stop()


def test_c_move_to_a_tls_destination_verifies_its_certificate(archive, tls_destination):
    scp, ca_file = tls_destination
    archive.remote_aes.put(
        RemoteAE("secure", "SECURE", "127.0.0.1", scp.port, tls=True, ca_file=str(ca_file))
    )
    _, final = move(archive, query("STUDY", StudyInstanceUID=uid(1, 1)), "SECURE")
    assert final.Status == 0x0000
    assert len(scp.received) == 5


@pytest.mark.parametrize("tls", [True, False], ids=["untrusted-certificate", "no-tls"])
def test_c_move_to_a_tls_destination_without_trust_or_tls_is_a702(archive, tls_destination, tls):
    scp, _ = tls_destination
    archive.remote_aes.put(RemoteAE("secure", "SECURE", "127.0.0.1", scp.port, tls=tls))
    _, final = move(archive, query("STUDY", StudyInstanceUID=uid(1, 1)), "SECURE")
    assert final.Status == 0xA702
    assert scp.received == []


@pytest.mark.config(dicom__dimse_timeout=20)
def test_a_destination_that_drops_its_connection_mid_store_is_noticed_at_once(archive):
    """No A-ABORT, the TCP connection just goes: the sub-operation waiting for its response
    fails at once (not after the DIMSE timeout), and so do the rest."""

    def drop(event):
        event.assoc.dul.socket.socket.shutdown(socket.SHUT_RDWR)
        return 0x0000

    scp = StoreSCP("DROPS")
    scp.server.unbind(evt.EVT_C_STORE, scp._store)
    scp.server.bind(evt.EVT_C_STORE, drop)
    archive.remote_aes.put(RemoteAE("drops", "DROPS", "127.0.0.1", scp.port))
    ae = AE(ae_title="MOVER")
    ae.add_requested_context(MOVE["STUDY_ROOT"])
    ae.dimse_timeout = 10  # half the emulator's: a final response must come before that
    assoc = ae.associate("127.0.0.1", archive.dicom_port, ae_title=archive.ae_title)
    try:
        responses = list(
            assoc.send_c_move(
                query("STUDY", StudyInstanceUID=uid(1, 3)), "DROPS", MOVE["STUDY_ROOT"]
            )
        )
    finally:
        assoc.release()
        scp.stop()
    final = responses[-1][0]
    assert final.Status == 0xA702
    assert counts(final)[1:3] == (0, 4)


def test_a_destination_that_goes_away_mid_move_fails_the_rest_with_a_final_response(archive):
    """The sub-association dies after the first store: no internal error, every remaining
    sub-operation failed, and a final response the requestor can read."""

    def vanish(event):
        event.assoc.abort()
        return 0x0000

    scp = StoreSCP("GONE")
    scp.server.unbind(evt.EVT_C_STORE, scp._store)
    scp.server.bind(evt.EVT_C_STORE, vanish)
    archive.remote_aes.put(RemoteAE("gone", "GONE", "127.0.0.1", scp.port))
    try:
        _, final = move(archive, query("STUDY", StudyInstanceUID=uid(1, 3)), "GONE")
    finally:
        scp.stop()
    assert final.Status in (0xA702, 0xB000)
    _, completed, failed, _ = counts(final)  # a final response has no Remaining count
    assert completed + failed == 4
    assert failed >= 3
