"""CT and MR volumes (PS3.3 A.3, A.4): slices of one volume per series."""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.uid import CTImageStorage, MRImageStorage

from storage import pixels
from storage.iods.common import Iod, Series, monochrome, place_slice, plane, position


def _ct_series(ds: Dataset, series: Series) -> None:
    monochrome(ds, 16, 12)
    ds.PatientPosition = "HFS"  # Type 2C for CT and MR (PS3.3 C.7.3.1)
    plane(ds, series, 5.0, 250.0)
    ds.AcquisitionNumber = 1
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]  # AXIAL: a CT defined term (C.8.2.1.1.1)
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
    ds.KVP = 120
    ds.WindowCenter, ds.WindowWidth = [40, -600], [400, 1500]  # soft tissue, lung
    ds.WindowCenterWidthExplanation = ["SOFT TISSUE", "LUNG"]


def _mr_series(ds: Dataset, series: Series) -> None:
    monochrome(ds, 16, 12)
    ds.PatientPosition = "HFS"
    plane(ds, series, 4.0, 240.0)
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
    place_slice(ds, series, i, 5.0, 250.0)


def _mr_instance(ds: Dataset, series: Series, i: int) -> None:
    place_slice(ds, series, i, 4.0, 240.0)


def _volume_pixels(ds: Dataset, series: Series, i: int, seed: int) -> None:
    image = pixels.phantom(series.rows, series.columns, position(series, i), series.modality, seed)
    ds.PixelData = image.tobytes()


IODS: dict[str, Iod] = {
    "CT": Iod(CTImageStorage, "CT", 512, 512, 1, _ct_series, _volume_pixels, _ct_instance, True),
    "MR": Iod(MRImageStorage, "MR", 256, 256, 1, _mr_series, _volume_pixels, _mr_instance, True),
}
