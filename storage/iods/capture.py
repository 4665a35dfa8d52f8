"""Secondary Capture (PS3.3 A.8.1): a screen grab, no acquisition."""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.uid import SecondaryCaptureImageStorage

from storage import pixels
from storage.iods.common import Iod, Series, monochrome


def _sc_series(ds: Dataset, series: Series) -> None:
    monochrome(ds, 8, 8)
    ds.ConversionType = "WSD"  # workstation (PS3.3 C.8.6.1)
    ds.PatientOrientation = ""  # Type 2C: no Image Plane module (C.7.6.1)


def _sc_pixels(ds: Dataset, series: Series, i: int, seed: int) -> None:
    ds.PixelData = pixels.screen(series.rows, series.columns, seed).tobytes()


IODS: dict[str, Iod] = {
    "SC": Iod(SecondaryCaptureImageStorage, "OT", 512, 512, 1, _sc_series, _sc_pixels),
}
