"""C-STORE (PS3.4 Annex B): what is stored, what is refused, and with which status."""

from __future__ import annotations

import pytest
from pydicom.uid import (
    CTImageStorage,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    MRImageStorage,
    RLELossless,
)
from pynetdicom import AE, build_context
from pynetdicom.dsutils import encode
from pynetdicom.sop_class import Verification

from tests.helpers import PYDICOM_DATA, associate, make_dataset, read, send_raw_store, uid


def store(emulator, ds, contexts=None, **kw):
    contexts = contexts or [(ds.SOPClassUID, [ds.file_meta.TransferSyntaxUID])]
    ae_contexts = [build_context(sop, ts) for sop, ts in contexts]
    assoc = associate(emulator.dicom_port, *ae_contexts, **kw)
    try:
        return assoc.send_c_store(ds)
    finally:
        assoc.release()


def stored_bytes(emulator, sop_instance_uid):
    instance = emulator.index.instance(sop_instance_uid)
    assert instance is not None, "instance was not indexed"
    return emulator.files.path(instance.location).read_bytes()


def test_c_store_indexes_the_instance_and_keeps_the_exact_bytes_sent(emulator):
    ds = make_dataset()
    status = store(emulator, ds)

    assert status.Status == 0x0000
    assert emulator.index.counts() == {"patients": 1, "studies": 1, "series": 1, "instances": 1}
    saved = read(stored_bytes(emulator, ds.SOPInstanceUID))
    assert saved.PixelData == ds.PixelData
    assert saved.file_meta.TransferSyntaxUID == ds.file_meta.TransferSyntaxUID
    assert saved.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert saved.file_meta.SourceApplicationEntityTitle == "TESTSCU"


@pytest.mark.parametrize(
    "filename",
    [
        "CT_small.dcm",  # Explicit VR Little Endian
        "MR_small_implicit.dcm",
        "MR_small_RLE.dcm",
        "JPEG2000.dcm",
        "MR_small_jpeg_ls_lossless.dcm",
        "SC_rgb_jpeg_dcmtk.dcm",
        "image_dfl.dcm",  # Deflated
        "rtplan.dcm",
        "waveform_ecg.dcm",
    ],
)
def test_c_store_accepts_real_world_files_in_their_transfer_syntax_without_reencoding(
    emulator, filename
):
    original = read(PYDICOM_DATA / "test_files" / filename)
    status = store(emulator, original)

    assert status.Status == 0x0000
    saved = read(stored_bytes(emulator, original.SOPInstanceUID))
    assert saved.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID
    if "PixelData" in original:
        assert saved.PixelData == original.PixelData  # encapsulated frames untouched


def test_c_store_of_same_sop_instance_replaces_the_first_and_removes_its_file(emulator):
    first = make_dataset(StudyDescription="FIRST")
    second = make_dataset(StudyDescription="SECOND")
    store(emulator, first)
    old_path = emulator.index.instance(first.SOPInstanceUID).location

    assert store(emulator, second).Status == 0x0000

    assert emulator.index.counts()["instances"] == 1
    assert read(stored_bytes(emulator, first.SOPInstanceUID)).StudyDescription == "SECOND"
    assert not emulator.files.path(old_path).exists()
    [_, replace] = emulator.journal.messages(service="C-STORE")
    assert replace.extra["replaced"] is True


def test_c_store_of_an_instance_moved_to_another_series_drops_the_empty_series(emulator):
    first = make_dataset(series=1)
    store(emulator, first)
    moved = make_dataset(series=2, SOPInstanceUID=first.SOPInstanceUID)
    store(emulator, moved)

    assert emulator.index.counts() == {"patients": 1, "studies": 1, "series": 1, "instances": 1}


@pytest.mark.parametrize(
    ("attribute", "value", "why"),
    [
        ("StudyInstanceUID", None, "StudyInstanceUID missing"),
        ("SeriesInstanceUID", "1.2.03.4", "leading zeros"),
        ("StudyInstanceUID", "1." + "2" * 70, "too long"),
        ("SeriesInstanceUID", "../../etc/passwd", "not digits and dots"),
    ],
)
def test_c_store_with_missing_or_invalid_uid_answers_a900_and_writes_nothing(
    emulator, attribute, value, why
):
    ds = make_dataset(**{attribute: value})
    status = store(emulator, ds)

    assert status.Status == 0xA900
    assert why in status.ErrorComment
    assert emulator.index.counts()["instances"] == 0
    assert list(emulator.files.objects.rglob("*.dcm")) == []
    assert list(emulator.files.tmp.iterdir()) == []


def test_c_store_whose_dataset_sop_class_differs_from_the_command_answers_a900(emulator):
    ds = make_dataset(SOPClassUID=MRImageStorage)  # MR in the data set, CT in the command
    assoc = associate(emulator.dicom_port, CTImageStorage)
    try:
        rsp = send_raw_store(assoc, CTImageStorage, ds.SOPInstanceUID, encode(ds, False, True))
    finally:
        assoc.release()

    assert rsp.Status == 0xA900
    assert "SOPClassUID" in rsp.ErrorComment
    assert emulator.index.counts()["instances"] == 0


def test_c_store_whose_dataset_sop_instance_differs_from_the_command_answers_a900(emulator):
    ds = make_dataset()
    assoc = associate(emulator.dicom_port, CTImageStorage)
    try:
        rsp = send_raw_store(assoc, CTImageStorage, uid(7, 7), encode(ds, False, True))
    finally:
        assoc.release()

    assert rsp.Status == 0xA900
    assert "SOPInstanceUID" in rsp.ErrorComment


def test_c_store_of_undecodable_bytes_answers_c000_and_writes_nothing(emulator):
    # ReferencedSeriesSequence of undefined length whose "items" are junk, not (FFFE,E000)
    garbage = b"\x08\x00\x15\x11\xff\xff\xff\xff" + bytes(range(1, 25))
    assoc = associate(emulator.dicom_port, build_context(CTImageStorage, ImplicitVRLittleEndian))
    try:
        rsp = send_raw_store(assoc, CTImageStorage, uid(5, 5), garbage)
    finally:
        assoc.release()

    assert 0xC000 <= rsp.Status <= 0xCFFF
    assert rsp.ErrorComment
    assert emulator.index.counts()["instances"] == 0
    assert list(emulator.files.tmp.iterdir()) == []


@pytest.mark.parametrize(
    "transfer_syntax", [ImplicitVRLittleEndian, DeflatedExplicitVRLittleEndian]
)
def test_c_store_accepts_the_transfer_syntax_the_client_proposes(emulator, transfer_syntax):
    ds = make_dataset()
    ds.file_meta.TransferSyntaxUID = transfer_syntax
    status = store(emulator, ds, contexts=[(CTImageStorage, [transfer_syntax])])

    assert status.Status == 0x0000
    assert emulator.index.instance(ds.SOPInstanceUID).transfer_syntax_uid == transfer_syntax


def test_emulator_accepts_compressed_contexts_for_every_storage_class(emulator):
    contexts = [
        build_context(CTImageStorage, [RLELossless]),
        build_context("1.2.840.10008.5.1.4.1.1.77.1.6", [JPEG2000Lossless]),
    ]
    assoc = associate(emulator.dicom_port, *contexts)
    accepted = {cx.abstract_syntax: cx.transfer_syntax[0] for cx in assoc.accepted_contexts}
    assoc.release()

    assert accepted == {
        CTImageStorage: RLELossless,
        "1.2.840.10008.5.1.4.1.1.77.1.6": JPEG2000Lossless,
    }


@pytest.mark.parametrize(
    ("sop_instance", "words"),
    [
        ("", "missing or empty"),
        (None, "missing or empty"),
        ("1." * 32 + "1", "too long: 65 > 64 characters"),
        ("1.2.abc", "not digits and dots"),
    ],
)
def test_an_invalid_affected_sop_instance_uid_in_the_command_is_0xA900(
    emulator, sop_instance, words
):
    ds = make_dataset()
    assoc = associate(emulator.dicom_port, CTImageStorage, Verification)
    try:
        rsp = send_raw_store(assoc, CTImageStorage, sop_instance, encode(ds, False, True))
        assert rsp.Status == 0xA900
        assert words in rsp.ErrorComment
        assert rsp.OffendingElement == 0x00001000
        assert assoc.send_c_echo().Status == 0x0000  # the association goes on
    finally:
        assoc.release()
    assert emulator.index.counts()["instances"] == 0
    [record] = emulator.journal.messages(service="C-STORE")
    assert record.status == 0xA900


def test_every_storage_class_pynetdicom_proposes_by_default_is_accepted(emulator):
    from pynetdicom import StoragePresentationContexts

    ae = AE(ae_title="DEFAULTS")
    ae.requested_contexts = StoragePresentationContexts  # pynetdicom's default proposals
    assoc = ae.associate("127.0.0.1", emulator.dicom_port, ae_title=emulator.ae_title)
    try:
        assert assoc.is_established
        refused = [str(cx.abstract_syntax) for cx in assoc.rejected_contexts]
    finally:
        assoc.release()
    assert refused == []


def test_an_instance_of_a_retired_storage_class_is_stored_and_found(emulator):
    retired = "1.2.840.10008.5.1.4.1.1.6"  # Ultrasound Image Storage (retired in 1996)
    ds = make_dataset(sop_class=retired, modality="US")
    assoc = associate(emulator.dicom_port, build_context(retired, ExplicitVRLittleEndian))
    try:
        assert assoc.send_c_store(ds).Status == 0x0000
    finally:
        assoc.release()
    stored = emulator.index.instance(ds.SOPInstanceUID)
    assert stored is not None
    assert stored.sop_class_uid == retired


def test_c_store_on_a_full_database_answers_a700_and_leaves_no_orphan_file(emulator):
    conn = emulator.index.database.db.conn
    conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
    statuses = []
    assoc = associate(emulator.dicom_port, CTImageStorage)
    while not statuses or (statuses[-1] == 0x0000 and len(statuses) < 500):  # until it is full
        statuses.append(assoc.send_c_store(make_dataset(instance=len(statuses))).Status)
    assoc.release()

    assert statuses[-1] == 0xA700  # Out of Resources
    indexed = emulator.index.counts()["instances"]
    assert indexed == len(statuses) - 1
    assert len(list((emulator.files.root / "objects").rglob("*.dcm"))) == indexed
    assert "database or disk is full" in emulator.journal.messages(service="C-STORE")[-1].detail
