"""Enhanced CT and Enhanced MR (codes ECT, EMR, or --enhanced): a series is one multi-frame
instance whose frames are the classic series' slices, their geometry in functional groups and
their order in a dimension index."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from pydicom.uid import EnhancedCTImageStorage, EnhancedMRImageStorage

from storage.fabricate import fabricate, records
from storage.fabricated_worklist import worklist_items
from storage.fabrication_spec import FabricationSpec
from storage.records import record_from_dataset

SPEC = FabricationSpec(
    seed=14,
    patients=2,
    series_per_study=2,
    instances_per_series=6,
    matrix=48,
    modalities=("ECT", "EMR"),
    anchor=dt.date(2026, 1, 1),
)
CLASSIC = dataclasses.replace(SPEC, modalities=("CT", "MR"))


def test_each_series_is_one_instance_a_frame_a_slice():
    made = list(fabricate(SPEC))
    assert len(made) == 2 * 2  # two studies of two series, one instance each
    assert {ds.SOPClassUID for ds in made} == {EnhancedCTImageStorage, EnhancedMRImageStorage}
    for ds in made:
        assert int(ds.NumberOfFrames) == len(ds.PerFrameFunctionalGroupsSequence) == 6
        assert ds.pixel_array.shape == (6, 48, 48)
        assert ds.Modality in ("CT", "MR")


def test_the_frames_lie_where_the_classic_series_slices_lie():
    enhanced = list(fabricate(SPEC))
    classic = list(fabricate(CLASSIC))
    for n, volume in enumerate(enhanced):
        slices = classic[n * 6 : (n + 1) * 6]
        assert {s.SeriesDescription for s in slices} == {volume.SeriesDescription}
        shared = volume.SharedFunctionalGroupsSequence[0]
        measures = shared.PixelMeasuresSequence[0]
        assert measures.PixelSpacing == slices[0].PixelSpacing
        assert measures.SliceThickness == slices[0].SliceThickness
        orientation = shared.PlaneOrientationSequence[0].ImageOrientationPatient
        assert orientation == slices[0].ImageOrientationPatient
        rescale = shared.PixelValueTransformationSequence[0]
        assert rescale.RescaleIntercept == slices[0].get("RescaleIntercept", 0)  # MR: none
        positions = [f.PlanePositionSequence[0].ImagePositionPatient
                     for f in volume.PerFrameFunctionalGroupsSequence]  # fmt: skip
        assert positions == [s.ImagePositionPatient for s in slices]
        assert volume.FrameOfReferenceUID == slices[0].FrameOfReferenceUID


def test_the_dimension_index_orders_the_frames_by_their_position_in_the_stack():
    for ds in fabricate(SPEC):
        pointers = [int(d.DimensionIndexPointer) for d in ds.DimensionIndexSequence]
        assert pointers == [0x00209056, 0x00209057]  # Stack ID, In-Stack Position Number
        for k, frame in enumerate(ds.PerFrameFunctionalGroupsSequence):
            content = frame.FrameContentSequence[0]
            assert list(content.DimensionIndexValues) == [1, k + 1]
            assert (content.StackID, content.InStackPositionNumber) == ("1", k + 1)


def test_index_records_are_those_of_the_synthesized_volumes():
    for (record, position), ds in zip(records(SPEC), fabricate(SPEC), strict=True):
        assert record == record_from_dataset(ds, ds.file_meta.TransferSyntaxUID), position


def test_enhanced_studies_are_scheduled_as_the_scanner_they_come_from():
    items = worklist_items(SPEC, 4, ("ECT01", "SCANNER"))
    steps = [item.ScheduledProcedureStepSequence[0].Modality for item in items]
    assert steps == ["CT", "MR", "CT", "MR"]  # by the station's name, else in turn


@pytest.mark.parametrize(
    ("modalities", "expected"),
    [(["CT", "MR", "CR"], ("ECT", "EMR", "CR")), ("ct,SR", ("ECT", "SR"))],
)
def test_the_api_enhanced_field_makes_ct_and_mr_enhanced(modalities, expected):
    from emulator.services.fabrication import spec_from_json

    assert spec_from_json({"modalities": modalities, "enhanced": True}).modalities == expected
    with pytest.raises(ValueError, match="enhanced is true or false"):
        spec_from_json({"enhanced": "yes"})


def test_a_report_on_an_enhanced_volume_outlines_a_frame_of_it(tmp_path):
    from tests.helpers import dciodvfy_problems

    spec = dataclasses.replace(SPEC, modalities=("ECT", "EMR", "SR", "KO"))
    made = list(fabricate(spec))
    reports = [ds for ds in made if ds.Modality == "SR"]
    assert len(reports) == 2
    for n, report in enumerate(reports):
        group = report.ContentSequence[-1].ContentSequence[0]  # the first finding
        [region] = [i for i in group.ContentSequence if i.ValueType == "SCOORD"]
        [source] = region.ContentSequence[0].ReferencedSOPSequence
        assert source.ReferencedFrameNumber == 4  # the middle of six frames
        report.save_as(tmp_path / f"{n}.dcm", enforce_file_format=True)
        assert dciodvfy_problems(tmp_path / f"{n}.dcm") == []
