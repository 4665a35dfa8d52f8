"""Fabricated non-image objects in a running archive: found by C-FIND at IMAGE level with
their SOP class, retrieved by C-MOVE and WADO-RS as synthesized, read by DCMTK."""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.request
from io import BytesIO

import pytest
from pydicom import dcmread
from pydicom.uid import XRayRadiationDoseSRStorage

from storage.fabricate import synthesize
from storage.fabrication_spec import FabricationSpec, Position
from tests.helpers import dcmtk, find, query, registered_scp
from tests.helpers.retrieve import move

SPEC = FabricationSpec(
    seed=5,
    patients=2,
    series_per_study=1,
    instances_per_series=3,
    modalities=("CT", "MR", "KO", "DOC", "SR", "ECG", "RDSR", "PR", "SEG"),
    matrix=32,
    anchor=dt.date(2026, 3, 1),
)
# each study: its images, then KO, DOC, SR and ECG, the CT study its dose report, PR and SEG
KO, DOC, SR, ECG, RDSR, PR, SEG = (Position(0, 0, n, 0) for n in (1, 2, 3, 4, 5, 6, 7))


@pytest.fixture(params=[False, True], ids=["synthesized", "materialized"])
def fabricated(emulator, request):
    assert emulator.archive.fabricate(SPEC, materialize=request.param).instances == 19
    return emulator


def test_c_find_finds_each_object_at_image_level_by_its_sop_class(fabricated):
    study = synthesize(SPEC, KO).StudyInstanceUID
    for where in (KO, DOC, SR, ECG, RDSR, PR, SEG):
        made = synthesize(SPEC, where)
        series, final = find(
            fabricated.dicom_port,
            query("SERIES", StudyInstanceUID=study, Modality=made.Modality,
                  SeriesInstanceUID=""),
        )  # fmt: skip
        assert final.Status == 0
        assert made.SeriesInstanceUID in [one.SeriesInstanceUID for one in series]
        found, final = find(
            fabricated.dicom_port,
            query("IMAGE", StudyInstanceUID=study, SeriesInstanceUID=made.SeriesInstanceUID,
                  SOPClassUID=made.SOPClassUID, SOPInstanceUID=""),
        )  # fmt: skip
        assert final.Status == 0
        assert [(r.SOPClassUID, r.SOPInstanceUID) for r in found] == [
            (made.SOPClassUID, made.SOPInstanceUID)
        ]
    assert synthesize(SPEC, RDSR).SOPClassUID == XRayRadiationDoseSRStorage
    modalities = {synthesize(SPEC, where).Modality for where in (KO, DOC, SR, ECG, RDSR, PR, SEG)}
    assert modalities == {"KO", "DOC", "SR", "ECG", "PR", "SEG"}  # two SR: report and dose


def test_c_move_delivers_the_objects_as_synthesized(fabricated):
    with registered_scp(fabricated) as destination:
        ko = synthesize(SPEC, KO)
        _, final = move(fabricated, query("STUDY", StudyInstanceUID=ko.StudyInstanceUID))
        assert final.Status == 0
        doc = synthesize(SPEC, DOC)
        received = destination.datasets
        assert received[ko.SOPInstanceUID].ContentSequence == ko.ContentSequence
        assert received[doc.SOPInstanceUID].EncapsulatedDocument == doc.EncapsulatedDocument
        ecg = synthesize(SPEC, ECG).WaveformSequence[0]
        [sent] = received[synthesize(SPEC, ECG).SOPInstanceUID].WaveformSequence
        assert sent.WaveformData == ecg.WaveformData


def test_wado_rs_retrieves_the_pdf_report(fabricated):
    doc = synthesize(SPEC, DOC)
    url = (
        f"{fabricated.admin_url}/dicom-web/studies/{doc.StudyInstanceUID}/series/"
        f"{doc.SeriesInstanceUID}/instances/{doc.SOPInstanceUID}"
    )
    request = urllib.request.Request(
        url, headers={"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'}
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        body = response.read()
    start = body.index(b"DICM") - 128
    returned = dcmread(BytesIO(body[start:]))
    assert returned.EncapsulatedDocument[:8] == b"%PDF-1.4"


@pytest.mark.interop
@pytest.mark.parametrize(
    ("where", "expected"),
    [(KO, "Key Object Description"), (SR, "Imaging Measurement Report"),
     (Position(1, 0, 3, 0), "Imaging Measurement Report")],
)  # fmt: skip
def test_dcmtk_reads_every_structured_report(tmp_path, where, expected):
    path = tmp_path / "sr.dcm"
    synthesize(SPEC, where).save_as(path, enforce_file_format=True)
    result = dcmtk("dsrdump", str(path))
    assert result.returncode == 0, result.stderr
    assert "error" not in (result.stdout + result.stderr).lower()
    assert expected in result.stdout


@pytest.mark.parametrize(
    ("accept", "status"), [("application/pdf", 200), ("*/*", 200), ("image/jpeg", 406)]
)
def test_the_rendered_pdf_report_is_the_document_itself(fabricated, accept, status):
    doc = synthesize(SPEC, DOC)
    url = (
        f"{fabricated.admin_url}/dicom-web/studies/{doc.StudyInstanceUID}/series/"
        f"{doc.SeriesInstanceUID}/instances/{doc.SOPInstanceUID}/rendered"
    )
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            body, got, kind = response.read(), response.status, response.headers["Content-Type"]
    except urllib.error.HTTPError as exc:
        body, got, kind = b"", exc.code, ""
    assert got == status
    if status == 200:
        assert kind == "application/pdf"
        assert body == bytes(doc.EncapsulatedDocument)[: doc.EncapsulatedDocumentLength]


RT = FabricationSpec(
    seed=9,
    patients=1,
    series_per_study=1,
    instances_per_series=4,
    modalities=("CT", "RTSTRUCT", "RTPLAN", "RTDOSE"),
    matrix=64,
    anchor=dt.date(2026, 3, 1),
)


def test_radiotherapy_objects_are_found_moved_and_rendered(emulator):
    assert emulator.archive.fabricate(RT).instances == 7
    made = {synthesize(RT, Position(0, 0, n, 0)).Modality: synthesize(RT, Position(0, 0, n, 0))
            for n in (1, 2, 3)}  # fmt: skip
    study = made["RTPLAN"].StudyInstanceUID
    for modality, ds in made.items():
        found, final = find(
            emulator.dicom_port,
            query("IMAGE", StudyInstanceUID=study, SeriesInstanceUID=ds.SeriesInstanceUID,
                  SOPClassUID="", SOPInstanceUID=""),
        )  # fmt: skip
        assert final.Status == 0
        assert [(r.SOPClassUID, r.SOPInstanceUID) for r in found] == [
            (ds.SOPClassUID, ds.SOPInstanceUID)
        ], modality
    with registered_scp(emulator) as destination:
        _, final = move(emulator, query("STUDY", StudyInstanceUID=study))
        assert final.Status == 0
        received = destination.datasets
        dose = made["RTDOSE"]
        assert received[dose.SOPInstanceUID].PixelData == dose.PixelData
    url = (
        f"{emulator.admin_url}/dicom-web/studies/{study}/series/{dose.SeriesInstanceUID}"
        f"/instances/{dose.SOPInstanceUID}/frames/2/rendered"
    )
    request = urllib.request.Request(url, headers={"Accept": "image/png"})
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.headers["Content-Type"] == "image/png"
        assert response.read()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_enhanced_ct_is_found_as_one_instance_and_its_frames_rendered(emulator):
    spec = FabricationSpec(
        seed=10, patients=1, series_per_study=1, instances_per_series=5,
        modalities=("ECT",), matrix=64, anchor=dt.date(2026, 3, 1),
    )  # fmt: skip
    assert emulator.archive.fabricate(spec).instances == 1
    volume = synthesize(spec, Position(0, 0, 0, 0))
    found, final = find(
        emulator.dicom_port,
        query("IMAGE", StudyInstanceUID=volume.StudyInstanceUID,
              SeriesInstanceUID=volume.SeriesInstanceUID, SOPClassUID="",
              NumberOfFrames=""),
    )  # fmt: skip
    assert final.Status == 0
    assert [(r.SOPClassUID, int(r.NumberOfFrames)) for r in found] == [
        ("1.2.840.10008.5.1.4.1.1.2.1", 5)  # Enhanced CT Image Storage
    ]
    url = (
        f"{emulator.admin_url}/dicom-web/studies/{volume.StudyInstanceUID}/series/"
        f"{volume.SeriesInstanceUID}/instances/{volume.SOPInstanceUID}/frames/5/rendered"
    )
    request = urllib.request.Request(url, headers={"Accept": "image/png"})
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.read()[:8] == b"\x89PNG\r\n\x1a\n"
