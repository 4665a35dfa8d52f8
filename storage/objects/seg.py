"""Segmentations (PS3.3 A.51): the study's first CT or MR series segmented where its phantom
has an organ and a lesion, one frame per segment and slice, each frame with its source image,
plane position and segment (multi-frame functional groups, two dimensions). Binary (1 bit a
pixel) or fractional (probability, 8 bits), drawn per study from the seed; for a viewer's
segmentation overlay and a PACS's multi-frame handling."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels.utils import pack_bits
from pydicom.sequence import Sequence

from storage import pixels
from storage.objects import content
from storage.objects.content import Item, sop_reference
from storage.objects.context import StudyContext
from storage.objects.kinds import KINDS

ANATOMY = ("123037004", "SCT", "Anatomical Structure")
ALTERED = ("49755003", "SCT", "Morphologically Altered Structure")
SEGMENTS = [  # label, tissue of the phantom, category, type, colour (CIELab, 16 bits)
    ("Kidney", "organ", ANATOMY, ("64033007", "SCT", "Kidney"), [34885, 53485, 50171]),
    ("Lesion", "lesion", ALTERED, ("52988006", "SCT", "Lesion"), [43803, 47288, 24374]),
]
SOURCE_PURPOSE = ("121322", "DCM", "Source image for image processing operation")
SEGMENTATION = ("113076", "DCM", "Segmentation")


def _segment(number: int, label: str, category: tuple[str, str, str],
             kind: tuple[str, str, str], colour: list[int]) -> Dataset:  # fmt: skip
    segment = Dataset()
    segment.SegmentNumber = number
    segment.SegmentLabel = label
    segment.SegmentedPropertyCategoryCodeSequence = Sequence([content.code_item(*category)])
    segment.SegmentedPropertyTypeCodeSequence = Sequence([content.code_item(*kind)])
    segment.SegmentAlgorithmType = "SEMIAUTOMATIC"
    segment.SegmentAlgorithmName = "Fabricator threshold"
    segment.RecommendedDisplayCIELabValue = colour
    return segment


def _dimensions(uid: str) -> tuple[Sequence, Sequence]:
    """Dimension Organization and Index: by segment, then by slice position."""
    organization = Dataset()
    organization.DimensionOrganizationUID = uid
    by_segment, by_position = Dataset(), Dataset()
    by_segment.DimensionOrganizationUID = by_position.DimensionOrganizationUID = uid
    by_segment.DimensionIndexPointer = 0x0062000B  # Referenced Segment Number
    by_segment.FunctionalGroupPointer = 0x0062000A  # Segment Identification Sequence
    by_segment.DimensionDescriptionLabel = "Referenced Segment Number"
    by_position.DimensionIndexPointer = 0x00200032  # Image Position (Patient)
    by_position.FunctionalGroupPointer = 0x00209113  # Plane Position Sequence
    by_position.DimensionDescriptionLabel = "Image Position Patient"
    return Sequence([organization]), Sequence([by_segment, by_position])


def _slice_items(image: Dataset) -> tuple[Item, Item]:
    """The plane position and derivation of the frames of one slice: the same for every
    segment, so made once and shared by their frames (nothing changes them)."""
    plane = Item({0x00200032: ("DS", list(image.ImagePositionPatient))})  # Image Position
    source = Item(
        {
            0x00081150: ("UI", image.SOPClassUID),  # Referenced SOP Class UID
            0x00081155: ("UI", image.SOPInstanceUID),  # Referenced SOP Instance UID
            0x0040A170: content.coded_sequence(0x0040A170, *SOURCE_PURPOSE),  # Purpose
            0x0028135A: ("CS", "YES"),  # Spatial Locations Preserved: on its grid
        }
    )
    derivation = Item(
        {
            0x00089215: content.coded_sequence(0x00089215, *SEGMENTATION),  # Derivation Code
            0x00082112: ("SQ", [source]),  # Source Image Sequence
        }
    )
    return plane, derivation


def _frame(segment: int, slice_index: int, plane: Item, derivation: Item) -> Item:
    """The per-frame functional groups of one frame (*slice_index*: its place in the
    segment's frames)."""
    return Item(
        {
            # Frame Content: Dimension Index Values
            0x00209111: ("SQ", [Item({0x00209157: ("UL", [segment, slice_index + 1])})]),
            0x00209113: ("SQ", [plane]),  # Plane Position Sequence
            # Segment Identification: Referenced Segment Number
            0x0062000A: ("SQ", [Item({0x0062000B: ("US", segment)})]),
            0x00089124: ("SQ", [derivation]),  # Derivation Image Sequence
        }
    )


@lru_cache(maxsize=32)
def _pixel_data(rows: int, columns: int, slices: int, fractional: bool) -> bytes:
    """The frames of every segment on every slice: the phantom's, the same for every
    segmentation of that size (made once)."""
    masks = []
    for _, tissue, *_rest in SEGMENTS:
        for i in reversed(range(slices)):  # from the highest slice down
            where = i / (slices - 1) * 2 - 1 if slices > 1 else 0.0
            masks.append(pixels.phantom_region(rows, columns, where, tissue))
    stack = np.stack(masks)
    return (stack.astype(np.uint8) * 255).tobytes() if fractional else pack_bits(stack)


def _shared_groups(header: Dataset, images: list[Dataset]) -> Dataset:
    """Pixel measures (with the spacing between the source slices) and orientation, shared
    by every frame."""
    shared = Dataset()
    orientation = Dataset()
    orientation.ImageOrientationPatient = header.ImageOrientationPatient
    measures = Dataset()
    measures.PixelSpacing = header.PixelSpacing
    measures.SliceThickness = header.SliceThickness
    if len(images) > 1:  # as the slices lie, centre to centre
        first, second = (float(i.ImagePositionPatient[2]) for i in images[:2])
        measures.SpacingBetweenSlices = round(abs(second - first), 6)
    shared.PlaneOrientationSequence = Sequence([orientation])
    shared.PixelMeasuresSequence = Sequence([measures])
    return shared


def build(ctx: StudyContext) -> Dataset:
    kind = KINDS["SEG"]
    series = ctx.images[0]
    shared_header = series.shared()
    rows, columns = int(shared_header.Rows), int(shared_header.Columns)
    fractional = ctx.rng.random() < 0.5
    ds = ctx.common(kind.modality, kind.sop_class, kind.series_description)
    ds.FrameOfReferenceUID = shared_header.FrameOfReferenceUID
    ds.PositionReferenceIndicator = ""
    ds.ManufacturerModelName = "Fabricator SEG"
    ds.DeviceSerialNumber = "1"
    ds.SoftwareVersions = "1"
    ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.ContentLabel = "PHANTOM"
    ds.ContentDescription = "Kidneys and lesion of the phantom"
    ds.ContentCreatorName = ctx.study.get("ReferringPhysicianName", "")
    ds.SegmentationType = "FRACTIONAL" if fractional else "BINARY"
    if fractional:
        ds.SegmentationFractionalType = "PROBABILITY"
        ds.MaximumFractionalValue = 255
    ds.SegmentSequence = Sequence(
        [_segment(n, label, category, code, colour)
         for n, (label, _, category, code, colour) in enumerate(SEGMENTS, 1)]
    )  # fmt: skip
    ds.Rows, ds.Columns = rows, columns
    ds.NumberOfFrames = len(SEGMENTS) * series.count
    del ds.SeriesDate, ds.SeriesTime
    if ctx.header_only:  # the index's columns are set: no frames, groups or pixels
        return ds
    images = [series.header(i) for i in range(series.count)]
    ds.DimensionOrganizationSequence, ds.DimensionIndexSequence = _dimensions(ctx.uid("dimensions"))
    shared = _shared_groups(shared_header, images)
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    # each segment's frames from the highest slice down (as highdicom orders them)
    slices = [_slice_items(image) for image in reversed(images)]
    frames = [
        _frame(number, k, plane, derivation)
        for number in range(1, len(SEGMENTS) + 1)
        for k, (plane, derivation) in enumerate(slices)
    ]
    referenced = Dataset()
    referenced.SeriesInstanceUID = images[0].SeriesInstanceUID
    referenced.ReferencedInstanceSequence = Sequence([sop_reference(i) for i in images])
    ds.ReferencedSeriesSequence = Sequence([referenced])
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelRepresentation = 0
    ds.LossyImageCompression = "00"
    bits = 8 if fractional else 1
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelData = _pixel_data(rows, columns, len(images), fractional)
    ds["PixelData"].VR = "OB"  # 1 or 8 bits (PS3.5 8.2)
    ds.PresentationLUTShape = "IDENTITY"
    ds.SegmentsOverlap = "NO"  # the phantom's kidneys and lesion are apart
    sources = [content.of(ReferencedSOPClassUID=i.SOPClassUID,
                          ReferencedSOPInstanceUID=i.SOPInstanceUID) for i in images]  # fmt: skip
    content.into(
        ds, content.of(SourceImageSequence=sources, PerFrameFunctionalGroupsSequence=frames)
    )
    return ds
