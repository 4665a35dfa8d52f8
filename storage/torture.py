"""The ``viewer-torture`` fabrication profile: odd but valid images that break viewers, one
case a patient, each on the modality it belongs with:

- ``monochrome1`` (CR): MONOCHROME1, the pixels inverted: higher values are darker;
- ``signed-negative-rescale`` (CT): signed stored values with a Rescale Slope of -1, so that
  HU = -stored - 1024 (the same HU as the standard CT);
- ``garbage-high-bits`` (MR): 12 bits stored in 16 with the 4 unused high bits set at random,
  which a viewer must mask off (PS3.5 8.1.1);
- ``tiny`` (CT): a 1 x 1 matrix;
- ``overlay`` (CR): a graphics overlay plane (group 6000) with a box and a cross;
- ``many-frames`` (XA): a run of 300 frames;
- ``planar-configuration-1`` (SC): RGB stored colour by colour (all red, then all green,
  then all blue) instead of pixel by pixel;
- ``palette-color`` (SC): PALETTE COLOR, 8-bit indexes into 16-bit red, green and blue LUTs;
- ``jpeg-ybr-full-422`` (SC): colour in JPEG Baseline with 4:2:2 chrominance, YBR_FULL_422
  (lossy, as cameras and ultrasound write it; Pillow encodes it);
- ``huge`` (DX): a 4096 x 4096 radiograph (32 MB of pixels);
- ``syntax-*`` (CT): a CT image in each other transfer syntax the emulator encodes:
  Implicit VR, Deflated, RLE, JPEG-LS lossless and near-lossless, JPEG 2000 lossless and
  lossy, JPEG Lossless SV1 (the last five need the ``jpeg`` extra: pyjpegls,
  pylibjpeg-openjpeg, python-gdcm; the profile names what is missing).

Every object still passes dciodvfy: only what the standard allows.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.pixels.encoders.base import get_encoder
from pydicom.pixels.utils import pack_bits
from pydicom.uid import (
    JPEG2000,
    UID,
    DeflatedExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

from storage import jpeg_lossless

SYNTAX_CASES = {
    "syntax-implicit": ImplicitVRLittleEndian,
    "syntax-deflated": DeflatedExplicitVRLittleEndian,
    "syntax-rle": RLELossless,
    "syntax-jpeg-ls": JPEGLSLossless,
    "syntax-jpeg-ls-near-lossless": JPEGLSNearLossless,
    "syntax-jpeg2000": JPEG2000Lossless,
    "syntax-jpeg2000-lossy": JPEG2000,
    "syntax-jpeg-lossless": JPEGLosslessSV1,
}

CASES = (
    "monochrome1",
    "signed-negative-rescale",
    "garbage-high-bits",
    "tiny",
    "overlay",
    "many-frames",
    "planar-configuration-1",
    "palette-color",
    "jpeg-ybr-full-422",
    "huge",
    *SYNTAX_CASES,
)
MODALITY = {
    "monochrome1": "CR",
    "signed-negative-rescale": "CT",
    "garbage-high-bits": "MR",
    "tiny": "CT",
    "overlay": "CR",
    "many-frames": "XA",
    "planar-configuration-1": "SC",
    "palette-color": "SC",
    "jpeg-ybr-full-422": "SC",
    "huge": "DX",
    **{case: "CT" for case in SYNTAX_CASES},
}
# the case's transfer syntax, whatever the spec asks
SYNTAX = {"jpeg-ybr-full-422": JPEGBaseline8Bit, **SYNTAX_CASES}
# lossy syntaxes: pydicom's encoder options and the compression method (C.7.6.1.1.5)
LOSSY: dict[str, tuple[dict[str, Any], str]] = {
    JPEGLSNearLossless: ({"jls_error": 3}, "ISO_14495_1"),
    JPEG2000: ({"j2k_cr": [10]}, "ISO_15444_1"),
}
FRAMES = {"many-frames": 300}
_DESCRIPTOR = {"Red": 0x00281101, "Green": 0x00281102, "Blue": 0x00281103}
_DATA = {"Red": 0x00281201, "Green": 0x00281202, "Blue": 0x00281203}
ROWS_COLUMNS = {"tiny": (1, 1), "huge": (4096, 4096)}


def _palette() -> list[bytes]:
    """A "hot" colour map: black, red, yellow, white, 256 entries of 16 bits a channel."""
    ramp = np.linspace(0, 1, 256)
    red = np.clip(ramp * 3, 0, 1)
    green = np.clip(ramp * 3 - 1, 0, 1)
    blue = np.clip(ramp * 3 - 2, 0, 1)
    return [np.round(c * 65535).astype("<u2").tobytes() for c in (red, green, blue)]


def series(ds: Dataset, case: str) -> None:
    """The case's series-wide attributes, in place (after the modality's own)."""
    if case == "planar-configuration-1":
        ds.SamplesPerPixel = 3
        ds.PhotometricInterpretation = "RGB"
        ds.PlanarConfiguration = 1
    elif case == "jpeg-ybr-full-422":
        ds.SamplesPerPixel = 3
        ds.PhotometricInterpretation = "YBR_FULL_422"
        ds.PlanarConfiguration = 0
        ds.LossyImageCompression = "01"
        ds.LossyImageCompressionMethod = "ISO_10918_1"
    elif case == "palette-color":
        ds.PhotometricInterpretation = "PALETTE COLOR"
        for color, data in zip(("Red", "Green", "Blue"), _palette(), strict=True):
            ds[f"{color}PaletteColorLookupTableDescriptor"] = DataElement(
                _DESCRIPTOR[color], "US", [256, 0, 16]
            )
            ds[f"{color}PaletteColorLookupTableData"] = DataElement(_DATA[color], "OW", data)
    elif case == "monochrome1":
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


def _rgb(gray: np.ndarray) -> np.ndarray:
    """A colour picture (rows, columns, 3) of a grey one: red the grey, green a gradient,
    blue its inverse."""
    rows, columns = gray.shape
    gradient = np.linspace(0, 255, columns, dtype=np.float64)[None, :].repeat(rows, 0)
    return np.stack([gray, gradient.astype(np.uint8), 255 - gray], axis=-1).astype(np.uint8)


def pixels(ds: Dataset, case: str, seed: int) -> None:
    """The case's pixel data, from the modality's own, in place."""
    if case in ("planar-configuration-1", "jpeg-ybr-full-422"):
        gray = np.frombuffer(ds.PixelData, np.uint8)[: ds.Rows * ds.Columns]
        rgb = _rgb(gray.reshape(ds.Rows, ds.Columns))
        if case == "planar-configuration-1":
            ds.PixelData = np.moveaxis(rgb, -1, 0).tobytes()  # all red, then green, then blue
        else:
            ds.PixelData = encapsulate([_jpeg(rgb)])
    elif case == "monochrome1":
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


def missing_encoder(case: str) -> str | None:
    """What the case's transfer syntax needs that is not installed (None: nothing)."""
    syntax = SYNTAX.get(case)
    if syntax is None or not UID(syntax).is_compressed or syntax == JPEGBaseline8Bit:
        return None
    if syntax == JPEGLosslessSV1:
        return None if jpeg_lossless.available() else f"{UID(syntax).name} needs python-gdcm"
    encoder = get_encoder(syntax)
    if encoder.is_available:
        return None
    return f"{UID(syntax).name} needs {'; '.join(encoder.missing_dependencies)}"


def encode(ds: Dataset, case: str) -> bool:
    """The case's pixels compressed in its own way, in place: True if it did (its lossy
    syntax, JPEG Lossless, or JPEG Baseline, which :func:`pixels` already encapsulated)."""
    syntax = SYNTAX.get(case)
    if syntax == JPEGBaseline8Bit:
        ds["PixelData"].VR = "OB"
        ds.file_meta.TransferSyntaxUID = syntax
    elif syntax == JPEGLosslessSV1:
        jpeg_lossless.compress(ds)
        ds.LossyImageCompression = "00"
    elif syntax in LOSSY:
        options, method = LOSSY[syntax]
        size = len(ds.PixelData)
        ds.compress(syntax, generate_instance_uid=False, **options)
        ds.LossyImageCompression = "01"
        ds.LossyImageCompressionRatio = f"{size / len(ds.PixelData):.2f}"
        ds.LossyImageCompressionMethod = method
    else:
        return False
    return True


def _jpeg(rgb: np.ndarray) -> bytes:
    """*rgb* as a JPEG Baseline frame with 4:2:2 chrominance (Pillow's encoder, quality 90,
    the same bytes for the same pixels)."""
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, "JPEG", quality=90, subsampling=1)
    return buffer.getvalue()


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
