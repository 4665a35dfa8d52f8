"""Rendered images of instances (PS3.18 10.4.1.1.3, 8.3.5.1): a frame made presentable as a
viewer would show it, then encoded as JPEG or PNG.

Grayscale: the Modality LUT (rescale), then the window given (``window=center,width[,function]``)
or the instance's first one, or its value range; MONOCHROME1 inverted. Colour: RGB as stored
(YBR converted). Then scaled to fit the viewport, keeping the aspect ratio.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut, convert_color_space

from storage import StorageError

MEDIA = {"image/jpeg": "JPEG", "image/png": "PNG"}
THUMBNAIL = 128  # the longest side of a thumbnail, in pixels


@dataclass(frozen=True, slots=True)
class Window:
    """A VOI window (PS3.3 C.11.2.1.2): center, width and function."""

    center: float
    width: float
    function: str = "LINEAR"


@dataclass(frozen=True, slots=True)
class Rendering:
    """How to render: the media type, a window, the viewport and the JPEG quality."""

    media_type: str = "image/jpeg"
    window: Window | None = None
    viewport: tuple[int, int] | None = None  # columns, rows
    quality: int = 90


def _frame(ds: Dataset, frame: int) -> np.ndarray:
    """Frame *frame* (1-based) of *ds* as an array (decoded if compressed)."""
    count = int(ds.get("NumberOfFrames", 1) or 1)
    if not 1 <= frame <= count:
        raise IndexError(f"frame {frame} is not one of the instance's {count} frames")
    try:
        pixels = ds.pixel_array
    except Exception as exc:  # a codec this machine lacks, pixel data that does not decode
        raise StorageError(f"cannot decode the pixel data here: {exc}") from exc
    return pixels[frame - 1] if count > 1 else pixels


def _voi(ds: Dataset, window: Window | None, values: np.ndarray) -> Window:
    """The window to apply: the one asked for, else the instance's first, else its range."""
    if window is not None:
        return window
    if "WindowCenter" in ds and "WindowWidth" in ds:
        center = float(np.atleast_1d(ds.WindowCenter)[0])
        width = float(np.atleast_1d(ds.WindowWidth)[0])
        return Window(center, width, str(ds.get("VOILUTFunction", "LINEAR") or "LINEAR"))
    low, high = float(values.min()), float(values.max())
    return Window((low + high) / 2, max(high - low, 1.0), "LINEAR_EXACT")


def _grayscale(ds: Dataset, pixels: np.ndarray, window: Window | None) -> np.ndarray:
    """8-bit display values: Modality LUT, VOI window (PS3.3 C.11.2.1.2), MONOCHROME1 flip."""
    values = np.asarray(apply_modality_lut(pixels, ds), dtype=np.float64)
    voi = _voi(ds, window, values)
    c, w = voi.center, max(voi.width, 1.0)
    if voi.function.upper() == "SIGMOID":
        shown = 255.0 / (1.0 + np.exp(-4.0 * (values - c) / w))
    elif voi.function.upper() == "LINEAR_EXACT":
        shown = ((values - c) / w + 0.5) * 255.0
    else:  # LINEAR
        shown = ((values - (c - 0.5)) / max(w - 1.0, 1.0) + 0.5) * 255.0
    scaled = np.clip(shown, 0, 255).astype(np.uint8)
    if ds.get("PhotometricInterpretation") == "MONOCHROME1":
        scaled = 255 - scaled
    return scaled


def render(ds: Dataset, frame: int, how: Rendering, thumbnail: bool = False) -> bytes:
    """Frame *frame* of *ds* rendered as *how* says (a thumbnail: fit in 128 pixels).

    Raises
    ------
    IndexError
        For a frame the instance does not have.
    storage.StorageError
        When the instance has no pixel data or it cannot be decoded here.
    """
    if "PixelData" not in ds:
        raise StorageError("the instance has no pixel data to render")
    pixels = _frame(ds, frame)
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    if int(ds.get("SamplesPerPixel", 1)) == 1:
        image = Image.fromarray(_grayscale(ds, pixels, how.window), mode="L")
    else:
        if photometric.startswith("YBR"):
            pixels = convert_color_space(pixels, photometric, "RGB")
        image = Image.fromarray(np.asarray(pixels, dtype=np.uint8), mode="RGB")
    box = (THUMBNAIL, THUMBNAIL) if thumbnail else how.viewport
    if box is not None:
        image.thumbnail(box, Image.Resampling.LANCZOS)  # fits, keeps the aspect ratio
    out = BytesIO()
    if MEDIA[how.media_type] == "JPEG":
        image.save(out, "JPEG", quality=how.quality)
    else:
        image.save(out, "PNG")
    return out.getvalue()
