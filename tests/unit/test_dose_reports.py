"""Radiation dose reports (X-Ray Radiation Dose SR): the rows their templates require, in
agreement with the study's images and with their own arithmetic. No validator here checks the
templates (dciodvfy checks the IOD: tests/unit/test_fabricate_objects.py), so these specs do."""

from __future__ import annotations

import datetime as dt

import pytest
from pydicom.uid import XRayRadiationDoseSRStorage

from storage.fabricate import fabricate
from storage.fabrication_spec import FabricationSpec
from tests.helpers import dcmtk

SPEC = FabricationSpec(
    seed=8,
    patients=4,
    series_per_study=2,
    instances_per_series=3,
    matrix=32,
    modalities=("CT", "XA", "RDSR"),
    anchor=dt.date(2026, 1, 1),
)


@pytest.fixture(scope="module")
def studies():
    """Each study's images and its dose report, by the study's modality."""
    made: dict[str, list] = {}
    for ds in fabricate(SPEC):
        made.setdefault(ds.StudyInstanceUID, []).append(ds)
    found: dict[str, list] = {"CT": [], "XA": []}
    for instances in made.values():
        [report] = [ds for ds in instances if ds.SOPClassUID == XRayRadiationDoseSRStorage]
        images = [ds for ds in instances if ds is not report]
        found[images[0].Modality].append((images, report))
    assert len(found["CT"]) == len(found["XA"]) == 2
    return found


def meaning(item) -> str:
    return item.ConceptNameCodeSequence[0].CodeMeaning


def children(item, name: str) -> list:
    return [child for child in item.ContentSequence if meaning(child) == name]


def one(item, name: str):
    [child] = children(item, name)
    return child


def value(item, name: str) -> float:
    return float(one(item, name).MeasuredValueSequence[0].NumericValue)


def code(item, name: str) -> str:
    return one(item, name).ConceptCodeSequence[0].CodeMeaning


def test_every_report_has_the_root_rows_its_template_requires(studies):
    for modality, template, procedure in (
        ("CT", "10011", "Computed Tomography X-Ray"),
        ("XA", "10001", "Projection X-Ray"),
    ):
        for images, report in studies[modality]:
            assert meaning(report) == "X-Ray Radiation Dose Report"
            assert report.ContentTemplateSequence[0].TemplateIdentifier == template
            assert code(report, "Procedure reported") == procedure
            assert code(report, "Observer Type") == "Device"
            assert one(report, "Device Observer UID").UID
            scope = one(report, "Scope of Accumulation")
            assert scope.ConceptCodeSequence[0].CodeMeaning == "Study"
            scoped = one(scope, "Study Instance UID").UID
            assert scoped == images[0].StudyInstanceUID
            assert code(report, "Source of Dose Information") == "Automated Data Collection"


def test_a_ct_report_has_one_acquisition_per_series_whose_dose_adds_up(studies):
    for images, report in studies["CT"]:
        series = {ds.SeriesInstanceUID: ds for ds in images}
        events = children(report, "CT Acquisition")
        assert len(events) == len(series)
        accumulated = one(report, "CT Accumulated Dose Data")
        assert value(accumulated, "Total Number of Irradiation Events") == len(events)
        total = 0.0
        for event, image in zip(events, series.values(), strict=True):
            parameters = one(event, "CT Acquisition Parameters")
            dose = one(event, "CT Dose")
            length = value(parameters, "Scanning Length")
            assert length == float(image.SliceThickness) * 3  # the series' three slices
            source = one(parameters, "CT X-Ray Source Parameters")
            assert value(source, "KVP") == float(image.KVP)
            ctdi, dlp = value(dose, "Mean CTDIvol"), value(dose, "DLP")
            assert dlp == pytest.approx(ctdi * length / 10, rel=1e-3)
            head = image.BodyPartExamined in ("HEAD", "BRAIN")
            assert (40 <= ctdi <= 60) if head else (5 <= ctdi <= 18)
            assert code(dose, "CTDIw Phantom Type").startswith("IEC Head" if head else "IEC Body")
            if code(event, "CT Acquisition Type") == "Spiral Acquisition":
                assert 0.5 <= value(parameters, "Pitch Factor") <= 1.5
            total += dlp
        assert value(accumulated, "CT Dose Length Product Total") == pytest.approx(total, rel=1e-3)
        start = one(report, "Start of X-Ray Irradiation").DateTime
        assert start <= one(report, "End of X-Ray Irradiation").DateTime
        assert start[:8] == images[0].StudyDate


def test_an_xa_report_has_one_event_per_run_as_its_images_recorded_it(studies):
    for images, report in studies["XA"]:
        events = children(report, "Irradiation Event X-Ray Data")
        assert len(events) == len(images)  # each multi-frame instance one run
        for event, run in zip(events, images, strict=True):
            assert value(event, "Number of Pulses") == run.NumberOfFrames
            assert value(event, "KVP") == float(run.KVP)
            assert value(event, "X-Ray Tube Current") == float(run.XRayTubeCurrent)
            assert value(event, "Positioner Primary Angle") == float(run.PositionerPrimaryAngle)
            assert value(event, "Pulse Width") == float(run.ExposureTime)
            assert 1e-4 <= value(event, "Dose Area Product") <= 1e-3  # 1 to 10 Gy.cm2
        accumulated = one(report, "Accumulated X-Ray Dose Data")
        assert code(accumulated, "Acquisition Plane") == "Single Plane"
        acquisition = value(accumulated, "Acquisition Dose Area Product Total")
        runs = sum(value(event, "Dose Area Product") for event in events)
        assert acquisition == pytest.approx(runs, rel=1e-3)
        fluoro = value(accumulated, "Fluoro Dose Area Product Total")
        assert value(accumulated, "Dose Area Product Total") == pytest.approx(
            fluoro + acquisition, rel=1e-3
        )
        frames = value(accumulated, "Total Number of Radiographic Frames")
        assert frames == sum(run.NumberOfFrames for run in images)


def test_irradiation_event_uids_are_unique_across_the_reports(studies):
    uids = [
        one(event, "Irradiation Event UID").UID
        for modality in ("CT", "XA")
        for _, report in studies[modality]
        for event in report.ContentSequence
        if meaning(event) in ("CT Acquisition", "Irradiation Event X-Ray Data")
    ]
    assert len(uids) == len(set(uids)) == 2 * 2 + 2 * 6


@pytest.mark.interop
def test_dcmtk_reads_each_dose_report(studies, tmp_path):
    for modality in ("CT", "XA"):
        _, report = studies[modality][0]
        report.save_as(tmp_path / "rdsr.dcm", enforce_file_format=True)
        result = dcmtk("dsrdump", str(tmp_path / "rdsr.dcm"))
        assert result.returncode == 0, result.stderr
        assert "error" not in (result.stdout + result.stderr).lower()
        assert "X-Ray Radiation Dose SR Document" in result.stdout
