"""Fabrication: deterministic from the seed, valid UIDs, images that look like images."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest

from storage.fabricate import FabricationSpec, fabricate, phantom
from storage.uids import is_valid_uid

ANCHOR = dt.date(2026, 1, 1)


def encoded(spec: FabricationSpec) -> list[bytes]:
    out = []
    for ds in fabricate(spec):
        buffer = BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        out.append(buffer.getvalue())
    return out


def test_the_same_seed_gives_the_same_bytes():
    spec = FabricationSpec(seed=7, patients=2, anchor=ANCHOR)
    assert encoded(spec) == encoded(FabricationSpec(seed=7, patients=2, anchor=ANCHOR))


def test_a_different_seed_gives_different_uids_and_patients():
    a = list(fabricate(FabricationSpec(seed=1, anchor=ANCHOR)))
    b = list(fabricate(FabricationSpec(seed=2, anchor=ANCHOR)))
    assert {ds.SOPInstanceUID for ds in a}.isdisjoint({ds.SOPInstanceUID for ds in b})
    assert [ds.PatientID for ds in a] != [ds.PatientID for ds in b]


def test_the_anchor_moves_dates_but_not_uids():
    a = list(fabricate(FabricationSpec(seed=1, anchor=ANCHOR)))
    b = list(fabricate(FabricationSpec(seed=1, anchor=dt.date(2027, 1, 1))))
    assert [ds.SOPInstanceUID for ds in a] == [ds.SOPInstanceUID for ds in b]
    assert [ds.StudyDate for ds in a] != [ds.StudyDate for ds in b]


def test_hierarchy_counts_and_unique_valid_uids():
    spec = FabricationSpec(
        seed=3,
        patients=4,
        studies_per_patient=2,
        series_per_study=3,
        instances_per_series=2,
        anchor=ANCHOR,
    )
    instances = list(fabricate(spec))
    assert len(instances) == 4 * 2 * 3 * 2
    assert len({ds.PatientID for ds in instances}) == 4
    assert len({ds.StudyInstanceUID for ds in instances}) == 8
    assert len({ds.SeriesInstanceUID for ds in instances}) == 24
    uids = [ds.SOPInstanceUID for ds in instances]
    assert len(set(uids)) == len(uids)
    for ds in instances:
        for uid in (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID):
            assert is_valid_uid(uid), uid
        if ds.Modality in ("CT", "MR"):  # volumes have a frame of reference
            assert is_valid_uid(ds.FrameOfReferenceUID)
        else:
            assert "FrameOfReferenceUID" not in ds


def test_study_dates_fall_in_the_window_before_the_anchor_and_ages_fit_birth_dates():
    for ds in fabricate(FabricationSpec(seed=5, patients=10, anchor=ANCHOR)):
        study = dt.datetime.strptime(ds.StudyDate, "%Y%m%d").date()
        assert ANCHOR - dt.timedelta(days=365) <= study <= ANCHOR
        birth = dt.datetime.strptime(ds.PatientBirthDate, "%Y%m%d").date()
        assert abs((ANCHOR - birth).days // 365 - int(ds.PatientAge[:3])) <= 1


def test_slices_of_a_series_form_a_volume():
    series = list(
        fabricate(
            FabricationSpec(
                seed=1, patients=1, series_per_study=1, instances_per_series=5, anchor=ANCHOR
            )
        )
    )
    z = [ds.ImagePositionPatient[2] for ds in series]
    assert z == sorted(z)
    assert len(set(z)) == 5
    assert {ds.FrameOfReferenceUID for ds in series} == {series[0].FrameOfReferenceUID}


def test_phantom_looks_like_an_image_not_noise():
    image = phantom(64, 0.0, "CT", seed=1).astype(int)
    assert image[0, 0] < 50  # air outside the body
    assert 1024 + 20 < image[32, 32] < 1024 + 200  # soft tissue in the middle (HU + 1024)
    assert np.abs(np.diff(image, axis=1)).mean() < 100  # smooth regions, not speckle


def test_radiograph_and_screen_capture_images_have_their_own_look():
    from storage.fabricate import radiograph

    image = radiograph(64, seed=1).astype(int)
    assert image[32, 32] > image[32, 20] > image[0, 0]  # spine > lung > air
    [sc] = fabricate(
        FabricationSpec(
            seed=1,
            patients=1,
            series_per_study=1,
            instances_per_series=1,
            modalities=("SC",),
            anchor=ANCHOR,
        )
    )
    assert (sc.BitsAllocated, sc.Modality, sc.ConversionType) == (8, "OT", "WSD")


def dciodvfy() -> str:
    """dicom3tools' dciodvfy: on PATH, or beside this interpreter (a venv not activated)."""
    beside = Path(sys.executable).parent / "dciodvfy"
    path = shutil.which("dciodvfy") or (str(beside) if beside.exists() else None)
    assert path is not None, "dciodvfy missing: it comes with the test dependency dicom3tools"
    return path


@pytest.mark.parametrize("modality", ["CT", "MR", "CR", "SC"])
def test_every_fabricated_object_passes_dciodvfy_without_errors_or_warnings(tmp_path, modality):
    spec = FabricationSpec(
        seed=11,
        patients=3,
        studies_per_patient=2,
        series_per_study=2,
        instances_per_series=2,
        modalities=(modality,),
        anchor=ANCHOR,
    )
    findings = {}
    for n, ds in enumerate(fabricate(spec)):
        path = tmp_path / f"{n}.dcm"
        ds.save_as(path, enforce_file_format=True)
        result = subprocess.run(
            [dciodvfy(), str(path)], capture_output=True, text=True, check=False
        )
        lines = [
            line
            for line in (result.stdout + result.stderr).splitlines()
            if line.startswith(("Error", "Warning"))
        ]
        if lines:
            findings[f"{ds.BodyPartExamined} {ds.SeriesDescription}"] = lines
    assert findings == {}


def test_uids_of_entities_whose_indexes_concatenate_alike_still_differ():
    # patient 1 / study 12 and patient 11 / study 2 once hashed the same text
    spec = FabricationSpec(
        seed=1,
        patients=12,
        studies_per_patient=12,
        series_per_study=1,
        instances_per_series=1,
        anchor=ANCHOR,
    )
    instances = list(fabricate(spec))
    assert len({ds.StudyInstanceUID for ds in instances}) == 144
    assert len({ds.SOPInstanceUID for ds in instances}) == 144
    assert all(ds.SOPInstanceUID.startswith("2.25.") for ds in instances)
