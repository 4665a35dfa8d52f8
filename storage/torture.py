"""The ``viewer-torture`` fabrication profile: odd but valid images that break viewers, one
case a patient, each on the modality it belongs with:

- ``monochrome1`` (CR): MONOCHROME1, the pixels inverted: higher values are darker;
- ``signed-negative-rescale`` (CT): signed stored values with a Rescale Slope of -1, so that
  HU = -stored - 1024 (the same HU as the standard CT);
- ``garbage-high-bits`` (MR): 12 bits stored in 16 with the 4 unused high bits set at random,
  which a viewer must mask off (PS3.5 8.1.1);
- ``tiny`` (CT): a 1 x 1 matrix;
- ``overlay`` (CR): a graphics overlay plane (group 6000) with a box and a cross;
- ``many-frames`` (XA): a run of 300 frames.

Every object still passes dciodvfy: only what the standard allows.
"""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels.utils import pack_bits

CASES = (
    "monochrome1",
    "signed-negative-rescale",
    "garbage-high-bits",
    "tiny",
    "overlay",
    "many-frames",
)
MODALITY = {
    "monochrome1": "CR",
    "signed-negative-rescale": "CT",
    "garbage-high-bits": "MR",
    "tiny": "CT",
    "overlay": "CR",
    "many-frames": "XA",
}
FRAMES = {"many-frames": 300}
ROWS_COLUMNS = {"tiny": (1, 1)}


def series(ds: Dataset, case: str) -> None:
    """The case's series-wide attributes, in place (after the modality's own)."""
    if case == "monochrome1":
        ds.PhotometricInterpretation = "MONOCHROME1"
    elif case == "signed-negative-rescale":
        ds.PixelRepresentation = 1
        ds.BitsStored, ds.HighBit = 16, 15
        ds.RescaleSlope = -1
    elif case == "overlay":
        ds.add_new(0x60000010, "US", ds.Rows)  # Overlay Rows
        ds.add_new(0x60000011, "US", ds.Columns)  # Overlay Columns
        ds.add_new(0x60000022, "LO", "box and cross")  # Overlay Description
        ds.add_new(0x60000040, "CS", "G")  # Overlay Type: graphics
        ds.add_new(0x60000050, "SS", [1, 1])  # Overlay Origin
        ds.add_new(0x60000100, "US", 1)  # Overlay Bits Allocated
        ds.add_new(0x60000102, "US", 0)  # Overlay Bit Position


def pixels(ds: Dataset, case: str, seed: int) -> None:
    """The case's pixel data, from the modality's own, in place."""
    if case == "monochrome1":
        top = 2 ** int(ds.BitsStored) - 1
        stored = np.frombuffer(ds.PixelData, dtype="<u2")
        ds.PixelData = (top - stored).astype("<u2").tobytes()
    elif case == "signed-negative-rescale":
        stored = np.frombuffer(ds.PixelData, dtype="<u2").astype(np.int32)
        ds.PixelData = (-stored).astype("<i2").tobytes()
    elif case == "garbage-high-bits":
        stored = np.frombuffer(ds.PixelData, dtype="<u2")
        garbage = np.random.default_rng(seed).integers(0, 16, stored.size, dtype=np.uint16)
        ds.PixelData = (stored | (garbage << 12)).astype("<u2").tobytes()
    elif case == "overlay":
        ds.add_new(0x60003000, "OW", _overlay(int(ds.Rows), int(ds.Columns)))  # Overlay Data


def _overlay(rows: int, columns: int) -> bytes:
    """A box around the middle half of the image and a cross through its centre, 1 bit a
    pixel, packed (PS3.5 8.1.1), padded to an even length."""
    mark = np.zeros((rows, columns), dtype=bool)
    top, left, bottom, right = rows // 4, columns // 4, 3 * rows // 4, 3 * columns // 4
    mark[top, left:right] = mark[bottom - 1, left:right] = True
    mark[top:bottom, left] = mark[top:bottom, right - 1] = True
    mark[rows // 2, left:right] = mark[top:bottom, columns // 2] = True
    data = pack_bits(mark)
    return data + b"\x00" if len(data) % 2 else data
