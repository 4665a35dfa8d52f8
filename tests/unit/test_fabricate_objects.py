"""Fabricated objects that are not images: each valid per dciodvfy, deterministic to the byte,
referencing real instances of its own study, and indexed as the synthesized object is."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import subprocess
import sys
from io import BytesIO

import numpy as np
import pytest
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_dataset
from pydicom.filewriter import write_dataset

from storage import fabricate as fabrication
from storage.fabricate import fabricate, object_context, records, synthesize
from storage.fabrication_spec import (
    MODALITIES,
    FabricationSpec,
    Position,
    object_at,
    objects_in,
    positions,
    study_modality,
)
from storage.objects import KINDS, ko, seg, sr
from storage.objects import pr as presentation
from storage.records import record_from_dataset
from tests.helpers import dciodvfy_problems, dcmtk
from tests.helpers.reference_objects import (
    key_object_selection,
    measurement_report,
    presentation_state,
    segmentation,
)

ANCHOR = dt.date(2026, 1, 1)


def spec_with(*codes: str, **kw) -> FabricationSpec:
    """Every image modality and *codes*, with the objects they reference (RTPLAN: RTSTRUCT)."""
    wanted: list[str] = []
    for code in codes:
        chain = [code]
        while (needs := KINDS[chain[-1]].needs) is not None:
            chain.append(needs)
        wanted += [c for c in reversed(chain) if c not in wanted]
    values = {"seed": 21, "patients": 10, "modalities": (*MODALITIES, *wanted), "matrix": 32}
    return FabricationSpec(**{"anchor": ANCHOR, "instances_per_series": 2, **values, **kw})


def objects(spec: FabricationSpec):
    return [ds for ds in fabricate(spec) if ds.Modality in {k.modality for k in KINDS.values()}]


def objects_of(spec: FabricationSpec, code: str):
    """The objects of *code* that *spec* makes, in order."""
    return [synthesize(spec, at) for at in positions(spec) if object_at(spec, *at[:3]) == code]


def printed(ds) -> str:
    """*ds* as written (explicit VR little endian) and read back, printed: equal bytes print
    alike, and a difference shows as a readable diff."""
    buffer = DicomBytesIO()
    buffer.is_little_endian, buffer.is_implicit_VR = True, False
    write_dataset(buffer, ds)
    return str(read_dataset(BytesIO(buffer.getvalue()), False, True))


def part10(ds) -> bytes:
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


@pytest.mark.parametrize("code", list(KINDS))
def test_every_object_passes_dciodvfy_without_errors_or_warnings(tmp_path, code):
    found = {}
    spec = spec_with(code, patients=20)  # two CT studies at least (one in ten modalities)
    made = objects_of(spec, code)
    studies = [objects_in(spec, p, 0) for p in range(spec.patients)]
    assert len(made) == sum(code in found_in for found_in in studies) >= 2
    for n, ds in enumerate(made):
        path = tmp_path / f"{n}.dcm"
        ds.save_as(path, enforce_file_format=True)
        lines = dciodvfy_problems(path)
        if lines:
            found[n] = lines
    assert found == {}


@pytest.mark.parametrize("code", list(KINDS))
def test_the_same_seed_gives_the_same_bytes_in_another_process(code):
    spec = spec_with(code, patients=2)
    first = [hashlib.sha256(part10(ds)).hexdigest() for ds in objects_of(spec, code)]
    fabrication._object.cache_clear()
    assert [hashlib.sha256(part10(ds)).hexdigest() for ds in objects_of(spec, code)] == first
    script = (
        "import hashlib, sys; from io import BytesIO\n"
        "from storage.fabrication_spec import FabricationSpec\n"
        "from storage.fabricate import fabricate\n"
        "spec = FabricationSpec.from_json(sys.argv[1])\n"
        "for ds in fabricate(spec):\n"
        "    if ds.Modality == sys.argv[2]:\n"
        "        b = BytesIO(); ds.save_as(b, enforce_file_format=True)\n"
        "        print(hashlib.sha256(b.getvalue()).hexdigest())\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", script, spec.to_json(), KINDS[code].modality],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345"},
    )
    assert other.stdout.split() == first


def test_a_key_object_selection_selects_instances_of_its_own_study():
    spec = spec_with("KO", patients=3)
    made = list(fabricate(spec))
    by_study: dict[str, set[str]] = {}
    for ds in made:
        if ds.Modality != "KO":
            by_study.setdefault(ds.StudyInstanceUID, set()).add(ds.SOPInstanceUID)
    for document in (ds for ds in made if ds.Modality == "KO"):
        [evidence] = document.CurrentRequestedProcedureEvidenceSequence
        assert evidence.StudyInstanceUID == document.StudyInstanceUID
        referenced = {
            item.ReferencedSOPInstanceUID
            for series in evidence.ReferencedSeriesSequence
            for item in series.ReferencedSOPSequence
        }
        assert referenced
        assert referenced <= by_study[document.StudyInstanceUID]
        title = document.ConceptNameCodeSequence[0].CodeMeaning
        assert title in ("Of Interest", "For Teaching")


def test_the_pdf_is_a_real_document_whose_cross_references_point_at_its_objects():
    [doc, *_] = objects(spec_with("DOC", patients=1))
    data = bytes(doc.EncapsulatedDocument)[: doc.EncapsulatedDocumentLength]
    assert data.startswith(b"%PDF-1.4")
    assert data.endswith(b"%%EOF\n")
    start = int(re.search(rb"startxref\n(\d+)", data).group(1))
    assert data[start:].startswith(b"xref\n")
    offsets = re.findall(rb"(\d{10}) 00000 n ", data[start:])
    for number, offset in enumerate(offsets, 1):
        assert data[int(offset) :].startswith(b"%d 0 obj" % number)
    assert str(doc.PatientName).encode("cp1252", "replace") in data
    assert doc.MIMETypeOfEncapsulatedDocument == "application/pdf"


def test_index_records_of_objects_are_those_of_the_synthesized_objects():
    # records are made from headers without contours, frames or dose grids: every column the
    # same as the whole object's
    spec = spec_with(*KINDS, patients=12)
    kinds = set()
    for (record, position), ds in zip(records(spec), fabricate(spec), strict=True):
        assert record == record_from_dataset(ds, ds.file_meta.TransferSyntaxUID), position
        kinds.add(object_at(spec, *position[:3]))
    assert kinds == {None, *KINDS}


def test_objects_come_after_a_studys_image_series_one_series_each():
    spec = spec_with("KO", "DOC", patients=1, series_per_study=2)
    assert objects_in(spec, 0, 0) == ("KO", "DOC")
    assert [p.series for p in positions(spec)] == [0, 0, 1, 1, 2, 3]
    assert spec.total == 6


def test_objects_without_an_image_modality_are_refused_saying_what_to_add():
    with pytest.raises(ValueError, match="give an image modality too, such as CT,MR,KO"):
        FabricationSpec(modalities=("KO",))


@pytest.mark.parametrize(
    ("code", "ours", "theirs"),
    [("KO", ko.build, key_object_selection), ("SR", sr.build, measurement_report)],
)
def test_objects_written_with_pydicom_are_the_ones_highdicom_builds(code, ours, theirs):
    """Written with pydicom for speed, held to highdicom's documents, built from the same
    study (highdicom's own contributing equipment item aside; a KO's patient age, of the
    Patient Study module highdicom leaves out there, is the images')."""
    spec = spec_with(code, patients=10)
    for p in range(spec.patients):
        se = spec.series_per_study  # the object's series comes right after the images
        mine = ours(object_context(spec, p, 0, se))
        reference = theirs(object_context(spec, p, 0, se))
        del reference.ContributingEquipmentSequence
        if code == "KO":
            del mine.PatientAge
        assert printed(mine) == printed(reference), p


def test_segmentations_written_with_pydicom_are_the_ones_highdicom_builds():
    """Held to highdicom's, built from the same study's images and the phantom's masks
    (highdicom's own contributing equipment, its random dimension organization UID and the
    algorithm identification it requires of a semiautomatic segment aside)."""
    spec = spec_with("SEG", patients=4, modalities=("CT", "MR", "SEG"), matrix=64,
                     instances_per_series=5, series_per_study=1)  # fmt: skip
    kinds = set()
    for p in range(spec.patients):
        images = [synthesize(spec, Position(p, 0, 0, i)) for i in range(5)]
        mine = seg.build(object_context(spec, p, 0, 1))
        reference = segmentation(object_context(spec, p, 0, 1), images)
        del reference.ContributingEquipmentSequence
        for item in reference.SegmentSequence:
            del item.SegmentationAlgorithmIdentificationSequence
        uid = mine.DimensionOrganizationSequence[0].DimensionOrganizationUID
        for item in (*reference.DimensionOrganizationSequence, *reference.DimensionIndexSequence):
            item.DimensionOrganizationUID = uid
        reference.SegmentsOverlap = "NO"  # highdicom cannot know: UNDEFINED
        reference.ContentDate, reference.ContentTime = mine.ContentDate, mine.ContentTime  # now
        del reference.SeriesDate, reference.SeriesTime  # Type 3, ours leaves them out
        kinds.add(mine.SegmentationType)
        assert printed(mine) == printed(reference), p
    assert kinds == {"BINARY", "FRACTIONAL"}


def test_presentation_states_written_with_pydicom_are_the_ones_highdicom_builds():
    """Held to highdicom's, built from the same series with the same annotation, layer,
    window and modality LUT; highdicom has no reader's rotation, flip or displayed area (it
    shows the whole image as it is), and no body part: those are left out of both, and its
    own contributing equipment."""
    spec = spec_with("PR", patients=6, modalities=("CT", "MR", "CR", "PR"), matrix=64,
                     instances_per_series=3, series_per_study=1)  # fmt: skip
    for p in range(spec.patients):
        images = [synthesize(spec, Position(p, 0, 0, i)) for i in range(3)]
        mine = presentation.build(object_context(spec, p, 0, 1))
        reference = presentation_state(object_context(spec, p, 0, 1), images)
        del reference.ContributingEquipmentSequence, reference.DisplayedAreaSelectionSequence
        for keyword in ("DisplayedAreaSelectionSequence", "ImageRotation",
                        "ImageHorizontalFlip", "BodyPartExamined", "Laterality"):  # fmt: skip
            if keyword in mine:
                delattr(mine, keyword)
        assert printed(mine) == printed(reference), p


def test_an_ecg_has_twelve_leads_that_agree_with_each_other_and_a_plausible_rhythm():
    [ecg] = objects(spec_with("ECG", patients=1, modalities=("XA", "ECG")))
    [group] = ecg.WaveformSequence
    assert (group.NumberOfWaveformChannels, group.NumberOfWaveformSamples) == (12, 5000)
    assert group.SamplingFrequency == 500
    leads = np.frombuffer(group.WaveformData, "<i2").reshape(5000, 12).astype(int)
    one, two, three, avr = leads[:, 0], leads[:, 1], leads[:, 2], leads[:, 3]
    assert np.abs(three - (two - one)).max() <= 1  # Einthoven: III = II - I
    assert avr.min() < -500 < 500 < two.max()  # aVR looks at the heart from the other side
    beats = np.count_nonzero((two[1:-1] > 600) & (two[1:-1] >= two[:-2]) & (two[1:-1] > two[2:]))
    assert 55 * 10 / 60 - 1 <= beats <= 95 * 10 / 60 + 1  # 55 to 95 a minute, over 10 s
    names = [c.ChannelSourceSequence[0].CodeMeaning for c in group.ChannelDefinitionSequence]
    assert names[:3] == ["Lead I", "Lead II", "Lead III"]


def test_an_ecg_goes_with_cardiac_and_cross_sectional_studies_only():
    spec = spec_with("ECG", patients=10)
    with_ecg = {study_modality(spec, p, 0) for p in range(spec.patients) if objects_in(spec, p, 0)}
    assert with_ecg == {"CT", "MR", "US", "XA", "NM", "PT"}


def test_a_presentation_state_applies_to_the_studys_first_series_as_a_reader_left_it():
    spec = spec_with("PR", patients=3, modalities=("CT", "PR"), instances_per_series=4)
    made = list(fabricate(spec))
    for pr in (ds for ds in made if ds.Modality == "PR"):
        first = [
            ds for ds in made if ds.StudyInstanceUID == pr.StudyInstanceUID and ds.SeriesNumber == 1
        ]
        [series] = pr.ReferencedSeriesSequence
        assert series.SeriesInstanceUID == first[0].SeriesInstanceUID
        assert {r.ReferencedSOPInstanceUID for r in series.ReferencedImageSequence} == {
            ds.SOPInstanceUID for ds in first
        }
        assert pr.RescaleType == "HU"  # the CT images' modality LUT
        assert pr.ImageRotation in (0, 90, 180, 270)
        [annotation] = pr.GraphicAnnotationSequence
        assert annotation.GraphicLayer == pr.GraphicLayerSequence[0].GraphicLayer
        assert [g.GraphicType for g in annotation.GraphicObjectSequence] == ["POLYLINE", "CIRCLE"]


@pytest.mark.interop
def test_dcmtk_checks_each_presentation_state_and_renders_an_image_through_it(tmp_path):
    spec = spec_with("PR", patients=10, instances_per_series=1)
    made = list(fabricate(spec))
    for n, pr in enumerate(ds for ds in made if ds.Modality == "PR"):
        pr_path, image_path, out = (tmp_path / f"{n}.{x}" for x in ("pr", "dcm", "pgm"))
        pr.save_as(pr_path, enforce_file_format=True)
        uid = pr.ReferencedSeriesSequence[0].ReferencedImageSequence[0].ReferencedSOPInstanceUID
        [image] = [ds for ds in made if ds.SOPInstanceUID == uid]
        image.save_as(image_path, enforce_file_format=True)
        checked = dcmtk("dcmpschk", str(pr_path))
        assert "Test passed" in checked.stdout + checked.stderr, checked.stderr
        rendered = dcmtk("dcmp2pgm", "--pstate", str(pr_path), str(image_path), str(out))
        assert rendered.returncode == 0, rendered.stderr
        assert out.read_bytes().startswith(b"P5")  # a grayscale picture, as displayed


def test_every_character_set_passes_dciodvfy_in_images_and_objects(tmp_path):
    """The character-sets profile: each patient's names, institution and study description
    in one character set, images and objects alike, valid as dciodvfy reads them."""
    spec = spec_with(
        "SR", "KO", "PR", "DOC", "ECG", patients=9, profile="character-sets",
        series_per_study=1, instances_per_series=1,
    )  # fmt: skip
    found = {}
    for n, ds in enumerate(fabricate(spec)):
        path = tmp_path / f"{n}.dcm"
        ds.save_as(path, enforce_file_format=True)
        lines = dciodvfy_problems(path)
        if lines:
            found[f"{ds.SpecificCharacterSet} {ds.Modality}"] = lines
    assert found == {}


@pytest.mark.parametrize("seed", [21, 22])  # one binary and one fractional study each
def test_a_segmentation_marks_where_the_phantom_has_its_organs_as_highdicom_reads_it(seed):
    from highdicom.seg import Segmentation

    spec = spec_with("SEG", seed=seed, patients=2, modalities=("CT", "MR", "SEG"),
                     instances_per_series=5, matrix=64)  # fmt: skip
    made = list(fabricate(spec))
    kinds = set()
    for ds in (d for d in made if d.Modality == "SEG"):
        seg = Segmentation.from_dataset(ds)
        kinds.add(ds.SegmentationType)
        uids = [uid for _, _, uid in seg.get_source_image_uids()]
        masks = seg.get_pixels_by_source_instance(
            source_sop_instance_uids=uids, segment_numbers=[1, 2]
        )
        assert masks.shape == (5, 64, 64, 2)
        middle = next(d for d in made if d.SOPInstanceUID == uids[2])
        organ = masks[2, :, :, 0] > 0
        stored = middle.pixel_array
        organ_value = {"CT": 1024 + 60, "MR": 1400}[middle.Modality]
        assert abs(float(stored[organ].mean()) - organ_value) < 20  # noise aside
        assert abs(float(stored[~organ].mean()) - organ_value) > 200
        assert masks[2, :, :, 1].sum() > 0  # the lesion, on the middle slice
    assert kinds == {"BINARY", "FRACTIONAL"}


def test_the_uids_an_object_makes_stay_valid_with_the_longest_instance_uids():
    """The edge-cases profile gives entities 64-character UIDs: a tracking or dimension
    organization UID made from one must not grow past 64."""
    from storage.uids import is_valid_uid

    spec = spec_with("SR", "SEG", patients=4, profile="edge-cases", modalities=("CT", "SR", "SEG"))
    for ds in objects(spec):
        made = [item.UID for group in _groups(ds) for item in group if "UID" in item]
        made += [d.DimensionOrganizationUID for d in ds.get("DimensionOrganizationSequence", [])]
        for uid in made:
            assert is_valid_uid(uid), uid


def _groups(ds):
    """The content sequences of an SR's measurement groups."""
    for container in ds.get("ContentSequence", []):
        for group in container.get("ContentSequence", []):
            yield group.get("ContentSequence", [])


def test_content_trees_are_the_bytes_pydicom_writes_for_the_same_content():
    # our encoder writes the SR-family content trees, a segmentation's per-frame groups and
    # the RT objects' sequences;
    # pydicom, made to re-encode every element after reading them back, must write the same
    # bytes, in every character set
    from pydicom import dcmread

    spec = FabricationSpec(
        seed=2,
        patients=9,
        profile="character-sets",
        series_per_study=1,
        instances_per_series=2,
        matrix=32,
        modalities=("CT", "XA", "SR", "KO", "RDSR", "SEG", "RTSTRUCT", "RTPLAN"),
        anchor=ANCHOR,
    )
    checked = 0
    for ds in fabricate(spec):
        if ds.Modality in ("SR", "KO", "SEG", "RTSTRUCT", "RTPLAN"):
            ours = part10(ds)
            again = dcmread(BytesIO(ours))
            for _ in again.iterall():  # every raw element parsed into a pydicom element
                pass
            assert part10(again) == ours, (ds.SOPClassUID, ds.SpecificCharacterSet)
            checked += 1
    assert checked == 9 * 3 + 5 * 3  # SR, KO, RDSR of each study (CT, XA in turn); CT: SEG, RT
