"""What every fabricated modality's modules draw on: the series they belong to, coded
anatomy, geometry helpers, and :class:`Iod`, the declaration of one modality."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydicom.dataset import Dataset

from storage.iods.codes import SCT, Code


@dataclass(frozen=True, slots=True)
class Series:
    """What the modules of one fabricated series are drawn from."""

    modality: str
    rows: int
    columns: int
    instances: int  # in the series
    frames: int  # per instance, for multi-frame IODs
    description: str
    body_part: str
    laterality: str
    frame_of_reference: str
    date: str  # YYYYMMDD of the acquisition
    time: str  # HHMMSS


def code_item(code: Code) -> Dataset:
    """A Code Sequence item (PS3.3 Table 8.8-1) for *code*."""
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator = code.value, code.scheme_designator
    item.CodeMeaning = code.meaning
    return item


# Body parts (PS3.16 CID 4031) for the Anatomic Region Sequence.
ANATOMY = {
    "CHEST": SCT.Chest,
    "HAND": SCT.Hand,
    "KNEE": SCT.Knee,
    "BREAST": SCT.Breast,
    "ABDOMEN": SCT.Abdomen,
    "HEART": SCT.Heart,
    "WHOLEBODY": SCT.EntireBody,
}


def position(series: Series, i: int) -> float:
    """Where instance *i* lies in its series, from -1 to 1."""
    n = series.instances
    return (2 * i / (n - 1) - 1) if n > 1 else 0.0


def plane(ds: Dataset, series: Series, thickness: float, field_mm: float) -> None:
    """Frame of Reference and the series-wide part of Image Plane (PS3.3 C.7.4.1, C.7.6.2)."""
    ds.FrameOfReferenceUID = series.frame_of_reference
    ds.PositionReferenceIndicator = ""
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [round(field_mm / series.rows, 4), round(field_mm / series.columns, 4)]
    ds.SliceThickness = thickness


def place_slice(ds: Dataset, series: Series, i: int, thickness: float, field_mm: float) -> None:
    """Image Position and Slice Location of instance *i* of a volume."""
    z = round(position(series, i) * thickness * series.instances / 2, 3)
    ds.ImagePositionPatient = [-field_mm / 2, -field_mm / 2, z]
    ds.SliceLocation = z


def monochrome(ds: Dataset, bits: int, stored: int) -> None:
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, stored, stored - 1
    ds.PixelRepresentation = 0


def multiframe(ds: Dataset, frames: int, frame_time_ms: float) -> None:
    """Multi-frame and Cine modules, frames a fixed time apart (PS3.3 C.7.6.6, C.7.6.5)."""
    ds.NumberOfFrames = frames
    ds.FrameIncrementPointer = 0x00181063  # Frame Time
    ds.FrameTime = frame_time_ms
    ds.CineRate = round(1000 / frame_time_ms)


def nothing(ds: Dataset, series: Series, i: int) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Iod:
    """One modality's IOD: its SOP class, image geometry and modules."""

    sop_class: str
    modality: str  # the Modality attribute (Secondary Capture: OT)
    rows: int  # realistic defaults, used when the spec does not set a matrix
    columns: int
    frames: int
    series: Callable[[Dataset, Series], None]
    pixels: Callable[[Dataset, Series, int, int], None]
    instance: Callable[[Dataset, Series, int], None] = nothing
    volume: bool = False  # instances of a series are slices of one volume
