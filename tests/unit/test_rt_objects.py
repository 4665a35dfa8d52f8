"""Radiotherapy objects of a CT study: a structure set drawn on its images, a plan on that
structure set, the dose of that plan; each referencing the one before, all three agreeing
with the CT they are planned on."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from pydicom.uid import RTDoseStorage, RTPlanStorage, RTStructureSetStorage

from storage.fabricate import fabricate
from storage.fabrication_spec import FabricationSpec
from tests.helpers import dcmtk

SPEC = FabricationSpec(
    seed=6,
    patients=2,
    series_per_study=1,
    instances_per_series=6,
    matrix=128,
    modalities=("CT", "RTSTRUCT", "RTPLAN", "RTDOSE"),
    anchor=dt.date(2026, 1, 1),
)


@pytest.fixture(scope="module")
def studies():
    """Each study's CT slices and its structure set, plan and dose."""
    made: dict[str, dict] = {}
    for ds in fabricate(SPEC):
        study = made.setdefault(ds.StudyInstanceUID, {"CT": []})
        if ds.Modality == "CT":
            study["CT"].append(ds)
        else:
            study[ds.Modality] = ds
    assert len(made) == 2
    return list(made.values())


def roi_numbers(structure_set) -> dict[str, int]:
    return {roi.ROIName: int(roi.ROINumber) for roi in structure_set.StructureSetROISequence}


def contours(structure_set, name: str) -> list:
    number = roi_numbers(structure_set)[name]
    [roi] = [r for r in structure_set.ROIContourSequence if int(r.ReferencedROINumber) == number]
    return list(roi.ContourSequence)


def points(contour) -> np.ndarray:
    return np.array(contour.ContourData, dtype=float).reshape(-1, 3)


def pixel_at(image, x: float, y: float) -> int:
    column = round((x - float(image.ImagePositionPatient[0])) / float(image.PixelSpacing[1]))
    row = round((y - float(image.ImagePositionPatient[1])) / float(image.PixelSpacing[0]))
    return int(image.pixel_array[row, column])


def test_each_roi_has_a_closed_contour_on_every_slice_on_that_slice(studies):
    for study in studies:
        structure_set, slices = study["RTSTRUCT"], study["CT"]
        assert structure_set.SOPClassUID == RTStructureSetStorage
        types = {o.ReferencedROINumber: o.RTROIInterpretedType
                 for o in structure_set.RTROIObservationsSequence}  # fmt: skip
        numbers = roi_numbers(structure_set)
        assert {name: types[n] for name, n in numbers.items()} == {
            "BODY": "EXTERNAL", "KIDNEY_R": "ORGAN", "KIDNEY_L": "ORGAN",
            "GTV": "GTV", "PTV": "PTV",
        }  # fmt: skip
        for name in numbers:
            drawn = contours(structure_set, name)
            assert len(drawn) == len(slices)
            for contour, image in zip(drawn, slices, strict=True):
                assert contour.ContourGeometricType == "CLOSED_PLANAR"
                [on] = contour.ContourImageSequence
                assert on.ReferencedSOPInstanceUID == image.SOPInstanceUID
                xyz = points(contour)
                assert len(xyz) == int(contour.NumberOfContourPoints)
                assert (xyz[:, 2] == float(image.ImagePositionPatient[2])).all()
        frame = structure_set.ReferencedFrameOfReferenceSequence[0]
        assert frame.FrameOfReferenceUID == slices[0].FrameOfReferenceUID
        series = frame.RTReferencedStudySequence[0].RTReferencedSeriesSequence[0]
        assert len(series.ContourImageSequence) == len(slices)


def test_contours_outline_the_phantoms_organs_and_lesion_in_the_ct(studies):
    for study in studies:
        structure_set, slices = study["RTSTRUCT"], study["CT"]
        middle = len(slices) // 2
        image = slices[middle]
        for name, hounsfield in (("KIDNEY_R", 60), ("KIDNEY_L", 60), ("GTV", 120)):
            centre = points(contours(structure_set, name)[middle]).mean(axis=0)
            stored = pixel_at(image, centre[0], centre[1])
            assert abs(stored - 1024 - hounsfield) < 30, name  # the organ's or lesion's HU
        kidney_left = points(contours(structure_set, "KIDNEY_L")[middle]).mean(axis=0)
        assert kidney_left[0] > 0  # LPS: the patient's left is +x
        gtv = points(contours(structure_set, "GTV")[middle])
        ptv = points(contours(structure_set, "PTV")[middle])
        assert np.ptp(ptv[:, 0]) == pytest.approx(np.ptp(gtv[:, 0]) + 10, abs=0.1)  # 5 mm


def test_the_plan_references_its_structure_set_and_aims_at_the_ptv(studies):
    for study in studies:
        plan, structure_set = study["RTPLAN"], study["RTSTRUCT"]
        assert plan.SOPClassUID == RTPlanStorage
        [referenced] = plan.ReferencedStructureSetSequence
        assert referenced.ReferencedSOPInstanceUID == structure_set.SOPInstanceUID
        ptv = points(contours(structure_set, "PTV")[len(study["CT"]) // 2])
        gantries = []
        for beam in plan.BeamSequence:
            first = beam.ControlPointSequence[0]
            iso = np.array(first.IsocenterPosition, dtype=float)
            assert ptv[:, 0].min() < iso[0] < ptv[:, 0].max()
            assert ptv[:, 1].min() < iso[1] < ptv[:, 1].max()
            x_jaws = first.BeamLimitingDevicePositionSequence[0].LeafJawPositions
            assert float(x_jaws[1]) - float(x_jaws[0]) > np.ptp(ptv[:, 0]) - 1  # PTV covered
            gantries.append(float(first.GantryAngle))
        assert gantries == [0, 90, 180, 270]
        [group] = plan.FractionGroupSequence
        assert int(group.NumberOfBeams) == len(group.ReferencedBeamSequence) == 4
        [reference] = plan.DoseReferenceSequence
        assert int(reference.ReferencedROINumber) == roi_numbers(structure_set)["PTV"]
        per_fraction = float(reference.TargetPrescriptionDose) / int(group.NumberOfFractionsPlanned)
        at_isocentre = sum(float(b.BeamDose) for b in group.ReferencedBeamSequence)
        assert at_isocentre == pytest.approx(per_fraction, rel=1e-3)


def test_the_dose_references_its_plan_and_gives_the_prescription_at_the_isocentre(studies):
    for study in studies:
        dose, plan, slices = study["RTDOSE"], study["RTPLAN"], study["CT"]
        assert dose.SOPClassUID == RTDoseStorage
        assert dose.ReferencedRTPlanSequence[0].ReferencedSOPInstanceUID == plan.SOPInstanceUID
        assert dose.FrameOfReferenceUID == slices[0].FrameOfReferenceUID
        assert int(dose.NumberOfFrames) == len(slices)
        z = [float(dose.ImagePositionPatient[2]) + float(o) for o in dose.GridFrameOffsetVector]
        assert z == pytest.approx([float(s.ImagePositionPatient[2]) for s in slices], abs=1e-3)
        gy = dose.pixel_array * float(dose.DoseGridScaling)
        prescribed = float(plan.DoseReferenceSequence[0].TargetPrescriptionDose)
        iso = [float(v) for v in plan.BeamSequence[0].ControlPointSequence[0].IsocenterPosition]
        frame = int(np.argmin([abs(v - iso[2]) for v in z]))
        column = round((iso[0] - float(dose.ImagePositionPatient[0])) / float(dose.PixelSpacing[1]))
        row = round((iso[1] - float(dose.ImagePositionPatient[1])) / float(dose.PixelSpacing[0]))
        assert gy[frame, row, column] == pytest.approx(prescribed, rel=0.05)
        assert prescribed * 1.0 < gy.max() < prescribed * 1.25  # the box's hot spots
        assert gy[:, 0, 0].max() == 0  # air outside the body


def test_a_plan_without_its_structure_set_is_refused_saying_what_to_add():
    with pytest.raises(ValueError, match="RTPLAN references the RTSTRUCT of its study: add"):
        FabricationSpec(modalities=("CT", "RTPLAN"))
    with pytest.raises(ValueError, match="RTDOSE references the RTPLAN"):
        FabricationSpec(modalities=("CT", "RTSTRUCT", "RTDOSE"))


@pytest.mark.interop
def test_dcmtk_reads_each_rt_object_without_a_warning(studies, tmp_path):
    for modality in ("RTSTRUCT", "RTPLAN", "RTDOSE"):
        studies[0][modality].save_as(tmp_path / "rt.dcm", enforce_file_format=True)
        result = dcmtk("drtdump", "-ll", "warn", str(tmp_path / "rt.dcm"))
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        assert "RT " in result.stdout
