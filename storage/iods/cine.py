"""US and XA multi-frame runs (PS3.3 A.7, A.14)."""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.uid import UltrasoundMultiFrameImageStorage, XRayAngiographicImageStorage

from storage import pixels
from storage.iods.common import Iod, Series, monochrome, multiframe


def _us_series(ds: Dataset, series: Series) -> None:
    monochrome(ds, 8, 8)
    # value 3: the exam (PS3.3 C.8.5.6.1.1); value 4: a bitmap of image modes, 0001 = 2D
    exam = "CHEST" if series.body_part == "HEART" else "ABDOMINAL"  # echo: through the chest
    ds.ImageType = ["ORIGINAL", "PRIMARY", exam, "0001"]
    ds.LossyImageCompression = "00"
    ds.PatientOrientation = ""  # Type 2C: no Image Plane module (C.7.6.1)
    ds.BurnedInAnnotation = "NO"
    ds.TransducerData = ["S5-1", "", ""]
    ds.HeartRate = 72
    multiframe(ds, series.frames, 33.3)  # 30 frames a second


def _us_pixels(ds: Dataset, series: Series, i: int, seed: int) -> None:
    movie = pixels.ultrasound(series.rows, series.columns, series.frames, seed)
    ds.PixelData = movie.tobytes()


def _xa_series(ds: Dataset, series: Series) -> None:
    monochrome(ds, 8, 8)
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
    multiframe(ds, series.frames, 66.7)  # 15 frames a second


def _xa_pixels(ds: Dataset, series: Series, i: int, seed: int) -> None:
    ds.PixelData = pixels.angiogram(series.rows, series.columns, series.frames, seed).tobytes()


IODS: dict[str, Iod] = {
    "US": Iod(UltrasoundMultiFrameImageStorage, "US", 480, 640, 30, _us_series, _us_pixels),
    "XA": Iod(XRayAngiographicImageStorage, "XA", 512, 512, 20, _xa_series, _xa_pixels),
}
