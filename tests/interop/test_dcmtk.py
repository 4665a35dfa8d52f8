"""DCMTK command-line tools as an independent client implementation.

Answers are read with pydicom from the files ``findscu -X`` writes, never parsed from text.
"""

from __future__ import annotations

import shutil

import pytest
from pydicom import dcmread

from emulator.remotes import RemoteAE
from tests.helpers import (
    PYDICOM_DATA,
    dcmtk,
    make_dataset,
    part10,
    uid,
)
from tests.helpers.dcmtk_destination import movescu, received_uids, storescp

__all__ = ["storescp"]  # fixtures from tests/helpers

pytestmark = pytest.mark.interop

# pydicom's real-world files, with the storescu option that proposes each one's own syntax
REAL_FILES = {
    "CT_small.dcm": [],
    "MR_small.dcm": [],
    "MR_small_implicit.dcm": [],
    "MR_small_RLE.dcm": ["-xr"],
    "SC_rgb_jpeg_dcmtk.dcm": ["-xy"],
    "JPEG2000.dcm": ["-xw"],
    "rtplan.dcm": [],
}


def test_echoscu_gets_success(emulator):
    r = dcmtk("echoscu", "-aec", emulator.ae_title, "127.0.0.1", str(emulator.dicom_port))

    assert r.returncode == 0, r.stdout + r.stderr
    [message] = emulator.journal.messages(service="C-ECHO")
    assert message.calling_ae == "ECHOSCU"


def test_storescu_stores_uncompressed_files_of_a_directory_in_one_association(emulator, tmp_path):
    names = [name for name, options in REAL_FILES.items() if not options]
    for name in names:
        shutil.copy(PYDICOM_DATA / "test_files" / name, tmp_path / name)
    r = dcmtk(
        "storescu",
        "-aec",
        emulator.ae_title,
        "+sd",
        "127.0.0.1",
        str(emulator.dicom_port),
        str(tmp_path),
    )

    assert r.returncode == 0, r.stdout + r.stderr
    assert len(emulator.journal.messages(service="C-STORE", status=0x0000)) == len(names)
    assert len(emulator.journal.associations()) == 1
    # MR_small and MR_small_implicit are one instance in two encodings: the second replaces it
    distinct = {dcmread(PYDICOM_DATA / "test_files" / n).SOPInstanceUID for n in names}
    assert emulator.index.counts()["instances"] == len(distinct)


@pytest.mark.parametrize(("name", "options"), REAL_FILES.items())
def test_storescu_stores_real_files_in_their_own_transfer_syntax(emulator, name, options):
    src = PYDICOM_DATA / "test_files" / name
    r = dcmtk(
        "storescu",
        *options,
        "-aec",
        emulator.ae_title,
        "127.0.0.1",
        str(emulator.dicom_port),
        str(src),
    )

    assert r.returncode == 0, r.stdout + r.stderr
    original = dcmread(src)
    stored = emulator.index.instance(original.SOPInstanceUID)
    assert stored is not None, f"{name} was not stored"
    saved = dcmread(emulator.files.path(stored.location))
    assert saved.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID
    assert saved.get("PixelData") == original.get("PixelData")


def test_storescu_of_a_file_with_an_invalid_uid_is_refused_and_nothing_is_stored(
    emulator, tmp_path
):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(part10(make_dataset(SeriesInstanceUID="1.2.3.04")))
    r = dcmtk(
        "storescu", "-aec", emulator.ae_title, "127.0.0.1", str(emulator.dicom_port), str(bad)
    )

    assert r.returncode != 0  # storescu exits non-zero when the archive refuses an instance
    [message] = emulator.journal.messages(service="C-STORE")
    assert message.status == 0xA900
    assert emulator.index.counts()["instances"] == 0


@pytest.fixture
def loaded(emulator):
    for study, name in (
        (1, ("SMITH^JOHN", "P1")),
        (2, ("SMYTHE^ANN", "P2")),
        (3, ("JONES^BOB", "P3")),
    ):
        for series in (1, 2):
            emulator.archive.import_instance(
                part10(make_dataset(patient=name, study=study, series=series))
            )
    return emulator


def findscu(emulator, out, *keys, model="-S"):
    args = ["findscu", model, "-aec", emulator.ae_title, "-X", "-od", str(out)]
    for key in keys:
        args += ["-k", key]
    r = dcmtk(*args, "127.0.0.1", str(emulator.dicom_port))
    assert r.returncode == 0, r.stdout + r.stderr
    return [dcmread(p) for p in sorted(out.glob("rsp*.dcm"))]


def test_findscu_study_root_wildcard_name_returns_matching_studies(loaded, tmp_path):
    answers = findscu(
        loaded,
        tmp_path,
        "QueryRetrieveLevel=STUDY",
        "PatientName=SM*",
        "StudyInstanceUID",
        "NumberOfStudyRelatedSeries",
        "ModalitiesInStudy",
    )

    assert sorted(a.StudyInstanceUID for a in answers) == [uid(1, 1), uid(1, 2)]
    assert {a.NumberOfStudyRelatedSeries for a in answers} == {2}
    assert {a.ModalitiesInStudy for a in answers} == {"CT"}


def test_findscu_patient_root_series_level(loaded, tmp_path):
    answers = findscu(
        loaded,
        tmp_path,
        "QueryRetrieveLevel=SERIES",
        "PatientID=P3",
        f"StudyInstanceUID={uid(1, 3)}",
        "SeriesInstanceUID",
        "Modality",
        model="-P",
    )

    assert sorted(a.SeriesInstanceUID for a in answers) == [uid(1, 3, 1), uid(1, 3, 2)]


def test_findscu_bad_identifier_gets_a900(loaded, tmp_path):
    r = dcmtk(
        "findscu",
        "-S",
        "-aec",
        loaded.ae_title,
        "-k",
        "QueryRetrieveLevel=SERIES",
        "-k",
        "SeriesInstanceUID",
        "-X",
        "-od",
        str(tmp_path),
        "127.0.0.1",
        str(loaded.dicom_port),
    )

    assert r.returncode == 0, r.stderr
    assert list(tmp_path.glob("rsp*.dcm")) == []
    [message] = loaded.journal.messages(service="C-FIND")
    assert message.status == 0xA900


def test_stores_from_storescu_are_found_by_findscu(emulator, tmp_path):
    src = PYDICOM_DATA / "test_files" / "CT_small.dcm"
    r = dcmtk(
        "storescu", "-aec", emulator.ae_title, "127.0.0.1", str(emulator.dicom_port), str(src)
    )
    assert r.returncode == 0, r.stderr
    original = dcmread(src)

    answers = findscu(
        emulator,
        tmp_path,
        "QueryRetrieveLevel=IMAGE",
        f"StudyInstanceUID={original.StudyInstanceUID}",
        f"SeriesInstanceUID={original.SeriesInstanceUID}",
        "SOPInstanceUID",
    )

    assert [a.SOPInstanceUID for a in answers] == [original.SOPInstanceUID]


# -- retrieve ----------------------------------------------------------------------------------


def test_movescu_moves_a_study_to_storescp(loaded, storescp):
    port, out = storescp
    loaded.remote_aes.put(RemoteAE("dest", "DEST", "127.0.0.1", port))
    r = movescu(loaded, "DEST", uid(1, 1))

    assert r.returncode == 0, r.stdout + r.stderr
    assert received_uids(out) == sorted([uid(1, 1, 1, 1), uid(1, 1, 2, 1)])
    [record] = loaded.journal.messages(service="C-MOVE")
    assert (record.status, record.matches) == (0x0000, 2)


def test_movescu_to_an_unknown_destination_gets_a801(loaded):
    r = movescu(loaded, "NOBODY", uid(1, 1))

    assert r.returncode != 0  # movescu exits non-zero when the archive refuses the move
    [record] = loaded.journal.messages(service="C-MOVE")
    assert record.status == 0xA801


def test_getscu_retrieves_a_patient_over_the_same_association(loaded, tmp_path):
    out = tmp_path / "got"
    out.mkdir()
    r = dcmtk(
        "getscu",
        "-P",
        "-aec",
        loaded.ae_title,
        "-od",
        str(out),
        "-k",
        "QueryRetrieveLevel=PATIENT",
        "-k",
        "PatientID=P3",
        "127.0.0.1",
        str(loaded.dicom_port),
    )

    assert r.returncode == 0, r.stdout + r.stderr
    assert received_uids(out) == sorted([uid(1, 3, 1, 1), uid(1, 3, 2, 1)])
    [record] = loaded.journal.messages(service="C-GET")
    assert (record.status, record.extra["completed"]) == (0x0000, 2)


def test_an_export_sent_by_storescu_fills_a_second_emulator_with_the_same_studies(
    emulator, tmp_path
):
    from emulator import Emulator
    from emulator.services.export import export
    from storage.fabrication_spec import TRANSFER_SYNTAXES, FabricationSpec
    from tests.conftest import make_config

    # storescu converts to what is accepted; uncompressed syntaxes only (it cannot encode RLE)
    syntaxes = tuple(TRANSFER_SYNTAXES[n] for n in ("explicit", "implicit", "deflated"))
    spec = FabricationSpec(
        seed=3, patients=3, matrix=32, transfer_syntaxes=syntaxes, modalities=("CT", "US", "NM")
    )
    emulator.archive.fabricate(spec)
    export(emulator.index, emulator.archive.instances, tmp_path / "out")
    with Emulator(make_config(tmp_path / "second")) as second:
        r = dcmtk(
            "storescu",
            "-aec",
            second.ae_title,
            "+sd",
            "+r",
            "+sp",
            "IM*",
            "127.0.0.1",
            str(second.dicom_port),
            str(tmp_path / "out"),
        )
        assert r.returncode == 0, r.stdout + r.stderr
        assert (
            second.index.counts()
            == emulator.index.counts()
            == {
                "patients": 3,
                "studies": 3,
                "series": 6,
                "instances": 30,
            }
        )
        assert second.index.study_uids() == emulator.index.study_uids()


def test_movescu_and_getscu_retrieve_fabricated_studies_synthesized_on_demand(
    emulator, storescp, tmp_path
):
    from storage.fabricate import fabricate
    from storage.fabrication_spec import TRANSFER_SYNTAXES, FabricationSpec

    spec = FabricationSpec(
        seed=12,
        patients=2,
        studies_per_patient=2,
        instances_per_series=2,
        matrix=32,
        modalities=("CT", "US", "MG", "NM"),
        transfer_syntaxes=(TRANSFER_SYNTAXES["explicit"], TRANSFER_SYNTAXES["rle"]),
    )
    emulator.archive.fabricate(spec)
    expected = sorted(ds.SOPInstanceUID for ds in fabricate(spec))
    port, out = storescp
    emulator.remote_aes.put(RemoteAE("dest", "DEST", "127.0.0.1", port))
    for study in sorted(emulator.index.study_uids()):
        r = movescu(emulator, "DEST", study)
        assert r.returncode == 0, r.stdout + r.stderr
    assert received_uids(out) == expected

    got = tmp_path / "got"
    got.mkdir()
    r = dcmtk(
        "getscu",
        "-P",
        "-aec",
        emulator.ae_title,
        "-od",
        str(got),
        "-k",
        "QueryRetrieveLevel=PATIENT",
        "-k",
        "PatientID=FAB12-00001",
        "127.0.0.1",
        str(emulator.dicom_port),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(received_uids(got)) == len(expected) // 2


@pytest.fixture
def scheduled(emulator):
    """A worklist: CT01 today at 08:00 and 11:30, MR01 today, CT01 tomorrow."""
    from tests.helpers.worklist import TODAY, item, step

    items = [
        item("SMITH^ANNA", "P1", "A100", step("CT01", "CT", TODAY, "080000")),
        item("JONES^BOB", "P2", "A200", step("CT01", "CT", TODAY, "113000")),
        item("GARCIA^LUIS", "P3", "A300", step("MR01", "MR", TODAY, "143000")),
        item("LATER^KIM", "P4", "A400", step("CT01", "CT", "20261123", "090000")),
    ]
    emulator.archive.add_worklist_items([i.to_json_dict() for i in items])
    return emulator


SPS = "ScheduledProcedureStepSequence[0]"
WORKLIST_KEYS = (
    "PatientName",
    "PatientID",
    "AccessionNumber",
    "StudyInstanceUID",
    "RequestedProcedureCodeSequence",
    f"{SPS}.ScheduledStationAETitle",
    f"{SPS}.Modality",
    f"{SPS}.ScheduledProcedureStepStartDate",
    f"{SPS}.ScheduledProcedureStepStartTime",
)


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ((f"{SPS}.ScheduledStationAETitle=CT01",), ["A100", "A200", "A400"]),
        ((f"{SPS}.Modality=MR",), ["A300"]),
        ((f"{SPS}.ScheduledProcedureStepStartDate=20261122-20261122",), ["A100", "A200", "A300"]),
        (
            (
                f"{SPS}.ScheduledStationAETitle=CT01",
                f"{SPS}.ScheduledProcedureStepStartDate=20261122",
                f"{SPS}.ScheduledProcedureStepStartTime=1000-",
            ),
            ["A200"],
        ),
    ],
)
def test_findscu_worklist_queries_by_station_modality_and_date_range(
    scheduled, tmp_path, keys, expected
):
    # keys given later override the empty return keys of the same path
    answers = findscu(scheduled, tmp_path, *WORKLIST_KEYS, *keys, model="-W")
    assert sorted(str(a.AccessionNumber) for a in answers) == expected
    for answer in answers:
        step = answer.ScheduledProcedureStepSequence[0]
        assert step.ScheduledStationAETitle in ("CT01", "MR01")
        assert answer.RequestedProcedureCodeSequence[0].CodeValue == "24627-2"
    [record] = scheduled.journal.messages(service="MWL")
    assert record.calling_ae == "FINDSCU"


def test_getscu_preferring_jpeg_lossless_gets_a_jpeg_lossless_instance_as_stored(
    emulator, tmp_path
):
    """getscu +xs proposes [JPEG Lossless, Explicit, Big Endian, Implicit] in one context per
    SOP class; the instance is stored in JPEG Lossless, so that is the syntax to accept."""
    source = PYDICOM_DATA / "test_files" / "SC_rgb_jpeg_gdcm.dcm"
    emulator.archive.import_instance(source.read_bytes())
    original = dcmread(source)
    out = tmp_path / "got"
    out.mkdir()
    r = dcmtk(
        "getscu",
        "-S",
        "+xs",
        "-aec",
        emulator.ae_title,
        "-od",
        str(out),
        "-k",
        "QueryRetrieveLevel=STUDY",
        "-k",
        f"StudyInstanceUID={original.StudyInstanceUID}",
        "127.0.0.1",
        str(emulator.dicom_port),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    [received] = [dcmread(p) for p in out.iterdir()]
    assert received.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.70"
    assert received.SOPInstanceUID == original.SOPInstanceUID
    assert received.PixelData == original.PixelData  # sent as stored, not re-encoded
    [record] = emulator.journal.messages(service="C-GET")
    assert (record.status, record.extra["completed"]) == (0x0000, 1)
