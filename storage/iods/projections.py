"""CR, DX and MG projection radiographs (PS3.3 A.2, A.26, A.27)."""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.uid import (
    ComputedRadiographyImageStorage,
    DigitalMammographyXRayImageStorageForPresentation,
    DigitalXRayImageStorageForPresentation,
)

from storage import pixels
from storage.iods.codes import SCT
from storage.iods.common import ANATOMY, Iod, Series, code_item, monochrome

_VIEWS = {"PA": "PA", "AP": "AP", "LATERAL": "LL", "OBLIQUE": ""}


def _cr_series(ds: Dataset, series: Series) -> None:
    monochrome(ds, 16, 12)
    ds.ViewPosition = _VIEWS.get(series.description, "")  # Type 2 (PS3.3 C.8.1.1)
    ds.PatientOrientation = ["L", "F"]  # Type 2C: no Image Plane module (C.7.6.1)
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.KVP = 110
    ds.ImagerPixelSpacing = [round(350 / series.rows, 4), round(350 / series.columns, 4)]
    ds.WindowCenter, ds.WindowWidth = 2048, 4096


def _anatomy(ds: Dataset, body_part: str, laterality: str) -> None:
    """DX Anatomy Imaged (PS3.3 C.8.11.2): laterality and the anatomic region code."""
    ds.ImageLaterality = laterality or "U"  # U: unpaired (C.8.11.2.1.1)
    ds.AnatomicRegionSequence = [code_item(ANATOMY.get(body_part, ANATOMY["CHEST"]))]


def _dx_common(ds: Dataset, series: Series, spacing_mm: float) -> None:
    """DX Series, DX Image, DX Detector, Acquisition Context and VOI LUT (PS3.3 C.8.11)."""
    monochrome(ds, 16, 12)
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
    "PA": ("PA", SCT.PosteroAnterior),
    "AP": ("AP", SCT.AnteroPosterior),
    "LATERAL": ("LL", SCT.LeftLateral),
}


def _dx_series(ds: Dataset, series: Series) -> None:
    _dx_common(ds, series, round(430 / series.rows, 4))
    _anatomy(ds, series.body_part, series.laterality)
    ds.PatientOrientation = ["L", "F"]  # Type 1 in DX Image for presentation (C.8.11.3)
    # DX Positioning (C.8.11.5)
    ds.PositionerType = "NONE"
    view, code = _DX_VIEWS.get(series.description, _DX_VIEWS["PA"])
    ds.ViewPosition = view
    ds.ViewCodeSequence = [code_item(code)]
    ds.ViewCodeSequence[0].ViewModifierCodeSequence = []


def _projection_pixels(ds: Dataset, series: Series, i: int, seed: int) -> None:
    ds.PixelData = pixels.radiograph(series.rows, series.columns, seed).tobytes()


# Mammography views (PS3.16 CID 4014), from the series description.
_MG_VIEWS = {
    "CC": (SCT.CranioCaudal, ["A", "R"]),
    "MLO": (SCT.MedioLateralObliqueProjection, ["A", "FR"]),
}


def _mg_series(ds: Dataset, series: Series) -> None:
    _dx_common(ds, series, round(240 / series.rows, 4))
    _anatomy(ds, "BREAST", series.laterality)
    view = series.description.split()[-1]
    code, orientation = _MG_VIEWS.get(view, _MG_VIEWS["CC"])
    ds.ViewCodeSequence = [code_item(code)]
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


IODS: dict[str, Iod] = {
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
}
