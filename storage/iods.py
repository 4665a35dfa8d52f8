"""Modality-specific IOD modules for fabricated instances (PS3.3 Annex A).

Each :class:`Iod` fills, for one modality, the modules its IOD requires beyond those every
image shares (Patient, General Study, General Series, General Equipment, General Image, Image
Pixel, SOP Common: see ``storage.fabricate``), in three steps:

- ``series``: attributes that every instance of a series shares (computed once per series);
- ``instance``: attributes that vary per instance (slice position, image index);
- ``pixels``: the pixel data and the attributes that describe its frames.

Index records need only the first two, so fabricating into the index never draws pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code
from pydicom.uid import (
    ComputedRadiographyImageStorage,
    CTImageStorage,
    DigitalMammographyXRayImageStorageForPresentation,
    DigitalXRayImageStorageForPresentation,
    MRImageStorage,
    NuclearMedicineImageStorage,
    PositronEmissionTomographyImageStorage,
    SecondaryCaptureImageStorage,
    UltrasoundMultiFrameImageStorage,
    XRayAngiographicImageStorage,
)

from storage import pixels


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


def _code(code: Code) -> Dataset:
    """A Code Sequence item (PS3.3 Table 8.8-1) for one of pydicom's SNOMED CT codes."""
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator = code.value, code.scheme_designator
    item.CodeMeaning = code.meaning
    return item


# Body parts (PS3.16 CID 4031) for the Anatomic Region Sequence.
_ANATOMY = {
    "CHEST": codes.SCT.Chest,
    "HAND": codes.SCT.Hand,
    "KNEE": codes.SCT.Knee,
    "BREAST": codes.SCT.Breast,
    "ABDOMEN": codes.SCT.Abdomen,
    "HEART": codes.SCT.Heart,
    "WHOLEBODY": codes.SCT.EntireBody,
}


def _position(series: Series, i: int) -> float:
    """Where instance *i* lies in its series, from -1 to 1."""
    n = series.instances
    return (2 * i / (n - 1) - 1) if n > 1 else 0.0


def _plane(ds: Dataset, series: Series, thickness: float, field_mm: float) -> None:
    """Frame of Reference and the series-wide part of Image Plane (PS3.3 C.7.4.1, C.7.6.2)."""
    ds.FrameOfReferenceUID = series.frame_of_reference
    ds.PositionReferenceIndicator = ""
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [round(field_mm / series.rows, 4), round(field_mm / series.columns, 4)]
    ds.SliceThickness = thickness


def _slice(ds: Dataset, series: Series, i: int, thickness: float, field_mm: float) -> None:
    """Image Position and Slice Location of instance *i* of a volume."""
    z = round(_position(series, i) * thickness * series.instances / 2, 3)
    ds.ImagePositionPatient = [-field_mm / 2, -field_mm / 2, z]
    ds.SliceLocation = z


def _monochrome(ds: Dataset, bits: int, stored: int) -> None:
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, stored, stored - 1
    ds.PixelRepresentation = 0


def _multiframe(ds: Dataset, frames: int, frame_time_ms: float) -> None:
    """Multi-frame and Cine modules, frames a fixed time apart (PS3.3 C.7.6.6, C.7.6.5)."""
    ds.NumberOfFrames = frames
    ds.FrameIncrementPointer = 0x00181063  # Frame Time
    ds.FrameTime = frame_time_ms
    ds.CineRate = round(1000 / frame_time_ms)


# -- CT and MR (PS3.3 A.3, A.4) ----------------------------------------------------------------


def _ct_series(ds: Dataset, series: Series) -> None:
    _monochrome(ds, 16, 12)
    ds.PatientPosition = "HFS"  # Type 2C for CT and MR (PS3.3 C.7.3.1)
    _plane(ds, series, 5.0, 250.0)
    ds.AcquisitionNumber = 1
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]  # AXIAL: a CT defined term (C.8.2.1.1.1)
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
    ds.KVP = 120
    ds.WindowCenter, ds.WindowWidth = [40, -600], [400, 1500]  # soft tissue, lung
    ds.WindowCenterWidthExplanation = ["SOFT TISSUE", "LUNG"]


def _mr_series(ds: Dataset, series: Series) -> None:
    _monochrome(ds, 16, 12)
    ds.PatientPosition = "HFS"
    _plane(ds, series, 4.0, 240.0)
    ds.AcquisitionNumber = 1
    ds.ImageType = ["ORIGINAL", "PRIMARY", "OTHER"]
    ds.ScanningSequence, ds.SequenceVariant = "SE", "NONE"
    ds.ScanOptions, ds.MRAcquisitionType = "", "2D"
    t2 = "T2" in series.description or "FLAIR" in series.description
    ds.RepetitionTime, ds.EchoTime = (4000, 100) if t2 else (500, 15)
    ds.EchoTrainLength = 16 if t2 else 1
    ds.MagneticFieldStrength = 1.5
    ds.WindowCenter, ds.WindowWidth = 1200, 2400


def _ct_instance(ds: Dataset, series: Series, i: int) -> None:
    _slice(ds, series, i, 5.0, 250.0)


def _mr_instance(ds: Dataset, series: Series, i: int) -> None:
    _slice(ds, series, i, 4.0, 240.0)


def _volume_pixels(ds: Dataset, series: Series, i: int, seed: int) -> None:
    image = pixels.phantom(series.rows, series.columns, _position(series, i), series.modality, seed)
    ds.PixelData = image.tobytes()


# -- CR, DX and MG projections (PS3.3 A.2, A.26, A.27) -----------------------------------------

_VIEWS = {"PA": "PA", "AP": "AP", "LATERAL": "LL", "OBLIQUE": ""}


def _cr_series(ds: Dataset, series: Series) -> None:
    _monochrome(ds, 16, 12)
    ds.ViewPosition = _VIEWS.get(series.description, "")  # Type 2 (PS3.3 C.8.1.1)
    ds.PatientOrientation = ["L", "F"]  # Type 2C: no Image Plane module (C.7.6.1)
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.KVP = 110
    ds.ImagerPixelSpacing = [round(350 / series.rows, 4), round(350 / series.columns, 4)]
    ds.WindowCenter, ds.WindowWidth = 2048, 4096


def _anatomy(ds: Dataset, body_part: str, laterality: str) -> None:
    """DX Anatomy Imaged (PS3.3 C.8.11.2): laterality and the anatomic region code."""
    ds.ImageLaterality = laterality or "U"  # U: unpaired (C.8.11.2.1.1)
    ds.AnatomicRegionSequence = [_code(_ANATOMY.get(body_part, _ANATOMY["CHEST"]))]


def _dx_common(ds: Dataset, series: Series, spacing_mm: float) -> None:
    """DX Series, DX Image, DX Detector, Acquisition Context and VOI LUT (PS3.3 C.8.11)."""
    _monochrome(ds, 16, 12)
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.PixelIntensityRelationship, ds.PixelIntensityRelationshipSign = "LIN", 1
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = 0, 1, "US"
    ds.PresentationLUTShape = "IDENTITY"
    ds.LossyImageCompression = "00"
    ds.BurnedInAnnotation = "NO"
    ds.DetectorType = "SCINTILLATOR"
    ds.ImagerPixelSpacing = [spacing_mm, spacing_mm]
    ds.AcquisitionContextSequence = []
    ds.KVP = 28 if series.modality == "MG" else 110
    ds.WindowCenter, ds.WindowWidth = 2048, 4096


# DX views (PS3.16 CID 4010) by series description: View Position and View Code.
_DX_VIEWS = {
    "PA": ("PA", codes.SCT.PosteroAnterior),
    "AP": ("AP", codes.SCT.AnteroPosterior),
    "LATERAL": ("LL", codes.SCT.LeftLateral),
}


def _dx_series(ds: Dataset, series: Series) -> None:
    _dx_common(ds, series, round(430 / series.rows, 4))
    _anatomy(ds, series.body_part, series.laterality)
    ds.PatientOrientation = ["L", "F"]  # Type 1 in DX Image for presentation (C.8.11.3)
    # DX Positioning (C.8.11.5)
    ds.PositionerType = "NONE"
    view, code = _DX_VIEWS.get(series.description, _DX_VIEWS["PA"])
    ds.ViewPosition = view
    ds.ViewCodeSequence = [_code(code)]
    ds.ViewCodeSequence[0].ViewModifierCodeSequence = []


def _projection_pixels(ds: Dataset, series: Series, i: int, seed: int) -> None:
    ds.PixelData = pixels.radiograph(series.rows, series.columns, seed).tobytes()


# Mammography views (PS3.16 CID 4014), from the series description.
_MG_VIEWS = {
    "CC": (codes.SCT.CranioCaudal, ["A", "R"]),
    "MLO": (codes.SCT.MedioLateralObliqueProjection, ["A", "FR"]),
}


def _mg_series(ds: Dataset, series: Series) -> None:
    _dx_common(ds, series, round(240 / series.rows, 4))
    _anatomy(ds, "BREAST", series.laterality)
    view = series.description.split()[-1]
    code, orientation = _MG_VIEWS.get(view, _MG_VIEWS["CC"])
    ds.ViewCodeSequence = [_code(code)]
    ds.ViewCodeSequence[0].ViewModifierCodeSequence = []
    # PS3.3 C.8.11.7: row direction toward the nipple (A), columns toward the feet or the
    # axilla; mirrored for the right breast
    ds.PatientOrientation = orientation if series.laterality == "L" else ["P", orientation[1]]
    ds.PositionerType = "MAMMOGRAPHIC"
    ds.OrganExposed = "BREAST"
    ds.BreastImplantPresent = "NO"
    ds.PartialView = "NO"


def _mg_pixels(ds: Dataset, series: Series, i: int, seed: int) -> None:
    ds.PixelData = pixels.mammogram(
        series.rows, series.columns, seed, series.laterality == "L"
    ).tobytes()


# -- US and XA multi-frame runs (PS3.3 A.7, A.14) ----------------------------------------------


def _us_series(ds: Dataset, series: Series) -> None:
    _monochrome(ds, 8, 8)
    # value 3: the exam (PS3.3 C.8.5.6.1.1); value 4: a bitmap of image modes, 0001 = 2D
    exam = "CHEST" if series.body_part == "HEART" else "ABDOMINAL"  # echo: through the chest
    ds.ImageType = ["ORIGINAL", "PRIMARY", exam, "0001"]
    ds.LossyImageCompression = "00"
    ds.PatientOrientation = ""  # Type 2C: no Image Plane module (C.7.6.1)
    ds.BurnedInAnnotation = "NO"
    ds.TransducerData = ["S5-1", "", ""]
    ds.HeartRate = 72
    _multiframe(ds, series.frames, 33.3)  # 30 frames a second


def _us_pixels(ds: Dataset, series: Series, i: int, seed: int) -> None:
    movie = pixels.ultrasound(series.rows, series.columns, series.frames, seed)
    ds.PixelData = movie.tobytes()


def _xa_series(ds: Dataset, series: Series) -> None:
    _monochrome(ds, 8, 8)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "SINGLE PLANE"]
    ds.PixelIntensityRelationship = "LOG"
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = 0, 1, "US"  # Modality LUT (C.7.6.3)
    ds.LossyImageCompression = "00"
    ds.PatientOrientation = ""
    ds.RadiationSetting = "GR"
    ds.KVP, ds.XRayTubeCurrent, ds.ExposureTime = 80, 600, 8
    ds.PositionerMotion = "STATIC"
    ds.PositionerPrimaryAngle, ds.PositionerSecondaryAngle = -30, 20
    ds.DistanceSourceToDetector, ds.DistanceSourceToPatient = 1100, 750
    ds.ContrastBolusAgent = "IODINE"
    ds.WindowCenter, ds.WindowWidth = 128, 256
    _multiframe(ds, series.frames, 66.7)  # 15 frames a second


def _xa_pixels(ds: Dataset, series: Series, i: int, seed: int) -> None:
    ds.PixelData = pixels.angiogram(series.rows, series.columns, series.frames, seed).tobytes()


# -- NM and PT (PS3.3 A.5, A.21) ---------------------------------------------------------------


def _orientation_codes(ds: Dataset) -> None:
    """NM/PET Patient Orientation (PS3.3 C.8.4.6): recumbent, supine, feet first."""
    orientation = _code(codes.SCT.Recumbent)
    orientation.PatientOrientationModifierCodeSequence = [_code(codes.SCT.Supine)]
    ds.PatientOrientationCodeSequence = [orientation]
    ds.PatientGantryRelationshipCodeSequence = [_code(codes.SCT.FeetFirst)]


def _radiopharmaceutical(ds: Dataset, pet: bool) -> None:
    item = Dataset()
    if pet:
        item.RadionuclideCodeSequence = [_code(codes.SCT._18Fluorine)]
        item.RadiopharmaceuticalCodeSequence = [_code(codes.SCT.FluorodeoxyglucoseF18)]
        item.RadionuclideHalfLife, item.RadionuclideTotalDose = 6586.2, 370000000
        item.RadionuclidePositronFraction = 0.97
        item.RadiopharmaceuticalStartTime = "080000"
    else:
        item.RadionuclideCodeSequence = [_code(codes.SCT._99mTechnetium)]
        item.RadiopharmaceuticalCodeSequence = [_code(codes.SCT.TechnetiumTc99mMedronate)]
    item.Radiopharmaceutical = "FDG" if pet else "Tc99m MDP"
    ds.RadiopharmaceuticalInformationSequence = [item]


def _nm_series(ds: Dataset, series: Series) -> None:
    _monochrome(ds, 16, 16)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "STATIC", "EMISSION"]
    ds.LossyImageCompression = "00"
    ds.PatientOrientation = ""
    ds.PixelSpacing = [round(500 / series.rows, 4), round(500 / series.columns, 4)]
    _orientation_codes(ds)
    _radiopharmaceutical(ds, pet=False)
    window = Dataset()
    window.EnergyWindowRangeSequence = [Dataset()]
    window.EnergyWindowRangeSequence[0].EnergyWindowLowerLimit = 126
    window.EnergyWindowRangeSequence[0].EnergyWindowUpperLimit = 154
    window.EnergyWindowName = "TC99M"
    ds.EnergyWindowInformationSequence = [window]
    detectors = []
    for view in (codes.SCT.AnteriorEmissiveProjection, codes.SCT.PosteriorEmissiveProjection):
        detector = Dataset()
        detector.CollimatorGridName = "LEHR"
        detector.CollimatorType = "PARA"
        detector.ImagePositionPatient = detector.ImageOrientationPatient = None  # Type 2
        detector.ViewCodeSequence = [_code(view)]
        detectors.append(detector)
    ds.DetectorInformationSequence = detectors
    ds.CountsAccumulated = 500000
    ds.ActualFrameDuration = 300000
    ds.WindowCenter, ds.WindowWidth = 800, 1600
    # a static acquisition with two detector heads: one frame per head (PS3.3 C.8.4.8)
    ds.NumberOfFrames = 2
    ds.FrameIncrementPointer = [0x00540010, 0x00540020]  # Energy Window, Detector Vector
    ds.NumberOfEnergyWindows, ds.EnergyWindowVector = 1, [1, 1]
    ds.NumberOfDetectors, ds.DetectorVector = 2, [1, 2]


def _nm_pixels(ds: Dataset, series: Series, i: int, seed: int) -> None:
    ds.PixelData = pixels.emission(series.rows, series.columns, 2, seed).tobytes()


def _pt_series(ds: Dataset, series: Series) -> None:
    _monochrome(ds, 16, 16)
    _plane(ds, series, 3.0, 600.0)
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.Units, ds.CountsSource, ds.SeriesType = "BQML", "EMISSION", ["WHOLE BODY", "IMAGE"]
    ds.CorrectedImage = ["DECY", "ATTN", "SCAT", "DTIM"]
    ds.DecayCorrection = "START"
    ds.RandomsCorrectionMethod = "DLYD"
    ds.AttenuationCorrectionMethod = "CT-based"
    ds.ReconstructionMethod = "OSEM"
    ds.CollimatorType = "NONE"
    ds.NumberOfSlices = series.instances
    _orientation_codes(ds)
    _radiopharmaceutical(ds, pet=True)
    ds.RescaleIntercept, ds.RescaleSlope = 0, 2.5
    ds.FrameReferenceTime = 0
    ds.AcquisitionDate, ds.AcquisitionTime = series.date, series.time
    ds.ActualFrameDuration = 120000
    ds.DecayFactor, ds.DeadTimeFactor = 1.0321, 1.0112
    ds.LossyImageCompression = "00"
    ds.WindowCenter, ds.WindowWidth = 1250, 2500


def _pt_instance(ds: Dataset, series: Series, i: int) -> None:
    _slice(ds, series, i, 3.0, 600.0)
    ds.ImageIndex = i + 1


def _pt_pixels(ds: Dataset, series: Series, i: int, seed: int) -> None:
    frame = pixels.emission(
        series.rows, series.columns, 1, seed, hot=1 + abs(_position(series, i))
    )[0]
    ds.PixelData = frame.tobytes()


# -- Secondary Capture (PS3.3 A.8.1) -----------------------------------------------------------


def _sc_series(ds: Dataset, series: Series) -> None:
    _monochrome(ds, 8, 8)
    ds.ConversionType = "WSD"  # workstation (PS3.3 C.8.6.1)
    ds.PatientOrientation = ""  # Type 2C: no Image Plane module (C.7.6.1)


def _sc_pixels(ds: Dataset, series: Series, i: int, seed: int) -> None:
    ds.PixelData = pixels.screen(series.rows, series.columns, seed).tobytes()


def _nothing(ds: Dataset, series: Series, i: int) -> None:
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
    instance: Callable[[Dataset, Series, int], None] = _nothing
    volume: bool = False  # instances of a series are slices of one volume


IODS: dict[str, Iod] = {
    "CT": Iod(CTImageStorage, "CT", 512, 512, 1, _ct_series, _volume_pixels, _ct_instance, True),
    "MR": Iod(MRImageStorage, "MR", 256, 256, 1, _mr_series, _volume_pixels, _mr_instance, True),
    "CR": Iod(ComputedRadiographyImageStorage, "CR", 1024, 1024, 1, _cr_series, _projection_pixels),
    "DX": Iod(
        DigitalXRayImageStorageForPresentation, "DX", 1024, 1024, 1, _dx_series, _projection_pixels
    ),
    "MG": Iod(
        DigitalMammographyXRayImageStorageForPresentation,
        "MG",
        1024,
        1024,
        1,
        _mg_series,
        _mg_pixels,
    ),
    "US": Iod(UltrasoundMultiFrameImageStorage, "US", 480, 640, 30, _us_series, _us_pixels),
    "XA": Iod(XRayAngiographicImageStorage, "XA", 512, 512, 20, _xa_series, _xa_pixels),
    "NM": Iod(NuclearMedicineImageStorage, "NM", 128, 128, 2, _nm_series, _nm_pixels),
    "PT": Iod(
        PositronEmissionTomographyImageStorage,
        "PT",
        128,
        128,
        1,
        _pt_series,
        _pt_pixels,
        _pt_instance,
        True,
    ),
    "SC": Iod(SecondaryCaptureImageStorage, "OT", 512, 512, 1, _sc_series, _sc_pixels),
}
