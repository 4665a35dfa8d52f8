"""Fabrication: deterministic from the seed, valid UIDs, images that look like images."""

from __future__ import annotations

import datetime as dt
import subprocess
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO

import numpy as np
import pytest

from storage import edge_cases
from storage.fabricate import fabricate, instance_header, records, synthesize
from storage.fabrication_spec import (
    TRANSFER_SYNTAXES,
    FabricationSpec,
    Position,
    positions,
)
from storage.iods import IODS
from storage.pixels import phantom, radiograph
from storage.records import record_from_dataset
from storage.uids import is_valid_uid
from tests.helpers import dciodvfy

ANCHOR = dt.date(2026, 1, 1)


def small(**kw) -> FabricationSpec:
    """A spec with small images (64x64), so that specs run fast."""
    return FabricationSpec(**{"anchor": ANCHOR, "matrix": 64, **kw})


def encoded(spec: FabricationSpec) -> list[bytes]:
    out = []
    for ds in fabricate(spec):
        buffer = BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        out.append(buffer.getvalue())
    return out


def test_the_same_seed_gives_the_same_bytes():
    spec = small(seed=7, patients=2)
    assert encoded(spec) == encoded(small(seed=7, patients=2))


def test_a_different_seed_gives_different_uids_and_patients():
    a = list(fabricate(small(seed=1)))
    b = list(fabricate(small(seed=2)))
    assert {ds.SOPInstanceUID for ds in a}.isdisjoint({ds.SOPInstanceUID for ds in b})
    assert [ds.PatientID for ds in a] != [ds.PatientID for ds in b]


def test_the_anchor_moves_dates_but_not_uids():
    a = list(fabricate(small(seed=1)))
    b = list(fabricate(small(seed=1, anchor=dt.date(2027, 1, 1))))
    assert [ds.SOPInstanceUID for ds in a] == [ds.SOPInstanceUID for ds in b]
    assert [ds.StudyDate for ds in a] != [ds.StudyDate for ds in b]


def test_hierarchy_counts_and_unique_valid_uids():
    spec = small(
        seed=3, patients=4, studies_per_patient=2, series_per_study=3, instances_per_series=2
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
        if ds.Modality in ("CT", "MR", "PT"):  # volumes have a frame of reference
            assert is_valid_uid(ds.FrameOfReferenceUID)
        else:
            assert "FrameOfReferenceUID" not in ds


def test_study_dates_fall_in_the_window_before_the_anchor_and_ages_fit_birth_dates():
    for ds in fabricate(small(seed=5, patients=10)):
        study = dt.datetime.strptime(ds.StudyDate, "%Y%m%d").date()
        assert ANCHOR - dt.timedelta(days=365) <= study <= ANCHOR
        birth = dt.datetime.strptime(ds.PatientBirthDate, "%Y%m%d").date()
        assert abs((ANCHOR - birth).days // 365 - int(ds.PatientAge[:3])) <= 1


def test_slices_of_a_series_form_a_volume():
    series = list(
        fabricate(
            small(
                seed=1, patients=1, series_per_study=1, instances_per_series=5, modalities=("CT",)
            )
        )
    )
    z = [ds.ImagePositionPatient[2] for ds in series]
    assert z == sorted(z)
    assert len(set(z)) == 5
    assert {ds.FrameOfReferenceUID for ds in series} == {series[0].FrameOfReferenceUID}


def test_phantom_looks_like_an_image_not_noise():
    image = phantom(64, 64, 0.0, "CT", seed=1).astype(int)
    assert image[0, 0] < 50  # air outside the body
    assert 1024 + 20 < image[32, 32] < 1024 + 200  # soft tissue in the middle (HU + 1024)
    assert np.abs(np.diff(image, axis=1)).mean() < 100  # smooth regions, not speckle


def test_radiograph_and_screen_capture_images_have_their_own_look():
    image = radiograph(64, 64, seed=1).astype(int)
    assert image[32, 32] > image[32, 20] > image[0, 0]  # spine > lung > air
    [sc] = fabricate(
        small(patients=1, series_per_study=1, instances_per_series=1, modalities=("SC",))
    )
    assert (sc.BitsAllocated, sc.Modality, sc.ConversionType) == (8, "OT", "WSD")


@pytest.mark.parametrize("modality", list(IODS))
def test_every_fabricated_object_passes_dciodvfy_without_errors_or_warnings(tmp_path, modality):
    # every protocol and series description of the modality, in the syntaxes dciodvfy reads
    # (this build of dicom3tools cannot inflate Deflated; DCMTK reads those in other specs)
    spec = small(
        seed=11,
        patients=4,
        studies_per_patient=1,
        series_per_study=4,
        instances_per_series=1,
        modalities=(modality,),
        transfer_syntaxes=(
            TRANSFER_SYNTAXES["explicit"],
            TRANSFER_SYNTAXES["implicit"],
            TRANSFER_SYNTAXES["rle"],
            TRANSFER_SYNTAXES["jpeg-ls"],
            TRANSFER_SYNTAXES["jpeg2000"],
        ),
    )

    def validate(n: int, ds) -> tuple[str, list[str]]:
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
        return f"{ds.BodyPartExamined} {ds.SeriesDescription}", lines

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(validate, *zip(*enumerate(fabricate(spec)), strict=True)))
    assert {name: lines for name, lines in results if lines} == {}


def test_uids_of_entities_whose_indexes_concatenate_alike_still_differ():
    # patient 1 / study 12 and patient 11 / study 2 once hashed the same text
    spec = small(patients=12, studies_per_patient=12, series_per_study=1, instances_per_series=1)
    instances = [instance_header(spec, position) for position in positions(spec)]
    assert len({ds.StudyInstanceUID for ds in instances}) == 144
    assert len({ds.SOPInstanceUID for ds in instances}) == 144
    assert all(ds.SOPInstanceUID.startswith("2.25.") for ds in instances)


def test_each_modality_has_its_sop_class_and_a_realistic_image_by_default():
    for code, iod in IODS.items():
        spec = FabricationSpec(
            patients=1, series_per_study=1, instances_per_series=1, modalities=(code,)
        )
        ds = synthesize(spec, Position(0, 0, 0, 0))
        assert (ds.SOPClassUID, ds.Modality) == (iod.sop_class, iod.modality)
        assert (ds.Rows, ds.Columns) == (iod.rows, iod.columns)
        frames = int(ds.get("NumberOfFrames", 1))
        assert frames == iod.frames
        pixels = np.frombuffer(ds.PixelData, np.uint8 if ds.BitsAllocated == 8 else np.uint16)
        assert pixels.size == frames * iod.rows * iod.columns
        assert pixels.std() > 1, f"{code} pixel data is flat"


def test_ultrasound_and_angiography_are_cine_runs_whose_frames_differ():
    for code in ("US", "XA"):
        [ds] = fabricate(
            small(patients=1, series_per_study=1, instances_per_series=1, modalities=(code,))
        )
        frames = np.frombuffer(ds.PixelData, np.uint8).reshape(ds.NumberOfFrames, 64, 64)
        assert ds.NumberOfFrames > 1
        assert ds.FrameTime > 0
        assert ds.FrameIncrementPointer == 0x00181063  # Frame Time
        assert not np.array_equal(frames[0], frames[ds.NumberOfFrames // 2])


def test_one_instance_synthesized_alone_is_the_same_as_in_the_whole_run():
    spec = small(seed=4, patients=2, series_per_study=2, instances_per_series=3)
    everything = encoded(spec)
    position = Position(1, 0, 1, 2)
    alone = BytesIO()
    synthesize(spec, position).save_as(alone, enforce_file_format=True)
    assert alone.getvalue() == everything[list(positions(spec)).index(position)]


@pytest.mark.parametrize("name", list(TRANSFER_SYNTAXES))
def test_series_take_their_transfer_syntax_and_stay_deterministic(name):
    spec = small(
        seed=2,
        patients=1,
        series_per_study=2,
        instances_per_series=1,
        modalities=("MR",),
        transfer_syntaxes=(TRANSFER_SYNTAXES["explicit"], TRANSFER_SYNTAXES[name]),
    )
    first, second = fabricate(spec)
    assert first.file_meta.TransferSyntaxUID == TRANSFER_SYNTAXES["explicit"]
    assert second.file_meta.TransferSyntaxUID == TRANSFER_SYNTAXES[name]
    assert encoded(spec) == encoded(spec)
    # whatever the encoding, the image is the same (lossless)
    buffer = BytesIO(encoded(spec)[1])
    from pydicom import dcmread

    again = dcmread(buffer)
    plain = synthesize(
        small(
            seed=2,
            patients=1,
            series_per_study=2,
            instances_per_series=1,
            modalities=("MR",),
        ),
        Position(0, 0, 1, 0),
    )
    assert np.array_equal(again.pixel_array, plain.pixel_array)


def test_index_records_are_those_of_the_synthesized_instances():
    # records() skips the pixels and builds most columns once per series: it must agree
    spec = small(
        seed=9,
        patients=2,
        studies_per_patient=2,
        series_per_study=2,
        instances_per_series=3,
        transfer_syntaxes=(TRANSFER_SYNTAXES["explicit"], TRANSFER_SYNTAXES["rle"]),
    )
    for (record, position), ds in zip(records(spec), fabricate(spec), strict=True):
        assert record == record_from_dataset(ds, ds.file_meta.TransferSyntaxUID), position


def test_a_spec_survives_its_json():
    spec = small(seed=8, modalities=("US", "NM"), transfer_syntaxes=(TRANSFER_SYNTAXES["rle"],))
    assert FabricationSpec.from_json(spec.to_json()) == spec


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"patients": 0}, "patients must be at least 1"),
        ({"modalities": ("CT", "PET")}, "modality 'PET' is not one of"),
        ({"matrix": 4}, "matrix must be from 8 to 4096"),
        ({"transfer_syntaxes": ("1.2.3",)}, "transfer syntax '1.2.3' is not one of"),
    ],
)
def test_a_spec_that_makes_no_sense_is_refused_with_the_reason(changes, message):
    with pytest.raises(ValueError, match=message):
        small(**changes)


# -- the edge-cases profile ---------------------------------------------------------------------


def edge(**kw) -> FabricationSpec:
    return small(profile="edge-cases", patients=len(edge_cases.CASES), **kw)


def first_of_each_case(spec: FabricationSpec) -> dict[str, object]:
    return {
        edge_cases.CASES[p]: synthesize(spec, Position(p, 0, 0, 0)) for p in range(spec.patients)
    }


@pytest.mark.parametrize("studies", [1, 2, 3])
def test_every_edge_case_passes_dciodvfy_without_errors(tmp_path, studies):
    # studies_per_patient shifts each case onto other modalities: (patient + study) cycles them
    spec = edge(seed=studies, studies_per_patient=studies, series_per_study=1)
    objects = [
        synthesize(spec, Position(p, s, 0, 0)) for p in range(spec.patients) for s in range(studies)
    ]

    def validate(n: int, ds) -> tuple[str, list[str]]:
        path = tmp_path / f"{n}.dcm"
        ds.save_as(path, enforce_file_format=True)
        result = subprocess.run(
            [dciodvfy(), str(path)], capture_output=True, text=True, check=False
        )
        lines = (result.stdout + result.stderr).splitlines()
        errors = [line for line in lines if line.startswith("Error")]
        # the empty-type2 case lacks what a DICOMDIR record would want: that is its point
        warnings = [
            line
            for line in lines
            if line.startswith("Warning") and "needed to build DICOMDIR" not in line
        ]
        return f"{edge_cases.CASES[n // studies]} {ds.Modality}", errors + warnings

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(validate, range(len(objects)), objects))
    assert {name: lines for name, lines in results if lines} == {}


def test_edge_cases_carry_their_character_sets_and_names():
    cases = first_of_each_case(edge(seed=1))
    assert cases["latin1"].SpecificCharacterSet == "ISO_IR 100"
    assert not str(cases["latin1"].PatientName).isascii()
    assert cases["utf8"].SpecificCharacterSet == "ISO_IR 192"
    assert not str(cases["utf8"].PatientName).isascii()
    japanese = cases["japanese"]
    assert list(japanese.SpecificCharacterSet) == ["", "ISO 2022 IR 87"]
    # PS3.5 H.3.1: alphabetic, ideographic and phonetic groups, ESC sequences in the bytes
    assert japanese.PatientName.alphabetic.isascii()
    assert japanese.PatientName.ideographic
    assert japanese.PatientName.phonetic
    encoded = BytesIO()
    japanese.save_as(encoded, enforce_file_format=True)
    assert b"\x1b$B" in encoded.getvalue()


def test_edge_case_values_at_their_maximum_length_and_empty_type2():
    cases = first_of_each_case(edge(seed=2))
    longest = cases["max-length"]
    for keyword in ("SOPInstanceUID", "SeriesInstanceUID", "StudyInstanceUID"):
        uid = str(longest[keyword].value)
        assert len(uid) == 64
        assert is_valid_uid(uid)
    assert len(longest.PatientID) == 64
    assert len(longest.AccessionNumber) == 16
    assert len(longest.StudyDescription) == 64
    assert len(longest.ImageComments) == 10240
    empty = cases["empty-type2"]
    for keyword in ("PatientName", "PatientBirthDate", "AccessionNumber", "StudyDate"):
        assert keyword in empty
        assert empty[keyword].value in ("", None)


def test_edge_cases_private_block_nested_sequences_odd_matrix_and_long_series():
    spec = edge(seed=3)
    cases = first_of_each_case(spec)
    private = cases["private-nested"]
    block = private.private_block(edge_cases.PRIVATE_GROUP, edge_cases.PRIVATE_CREATOR)
    assert block[0x10].value == "fabricated private text"
    deepest = block[0x13].value[0][0x00291013].value[0]
    assert deepest[0x00291010].value == "third level"
    protocol = private.RequestAttributesSequence[0].ScheduledProtocolCodeSequence[0]
    assert protocol.ProtocolContextSequence[0].TextValue == "nested three levels deep"
    odd = cases["odd-matrix"]
    assert (odd.Rows, odd.Columns) == edge_cases.ODD_MATRIX
    assert len(odd.PixelData) % 2 == 0
    long_series = [
        p for p in positions(spec) if p[:3] == (edge_cases.CASES.index("long-series"), 0, 0)
    ]
    assert len(long_series) == edge_cases.LONG_SERIES
    assert spec.total == edge_cases.LONG_SERIES + (spec.patients - 1) * 2 * 5 + 5


def test_edge_case_records_are_those_of_the_synthesized_instances():
    spec = edge(seed=4, instances_per_series=1, series_per_study=1)
    short = [p for p in positions(spec) if p.instance < 2]
    by_position = dict((position, record) for record, position in records(spec))
    for position in short:
        ds = synthesize(spec, position)
        expected = record_from_dataset(ds, ds.file_meta.TransferSyntaxUID)
        assert by_position[position] == expected, edge_cases.CASES[position.patient]


def test_every_localized_value_is_encodable_in_its_own_character_set():
    # pydicom writes what a character set lacks as "?" with only a warning: none may
    import warnings

    from pydicom.charset import convert_encodings, encode_string
    from pydicom.valuerep import PersonName

    from storage.charset_names import CHARSETS, DESCRIPTIONS, NAMES

    for case, charset in CHARSETS.items():
        encodings = convert_encodings(charset)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for name, institution in NAMES.get(case, []):
                PersonName(name).encode(encodings)
                encode_string(institution, encodings)
            encode_string(DESCRIPTIONS[case], encodings)
