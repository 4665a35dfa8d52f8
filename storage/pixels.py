"""Synthetic images made with numpy: phantoms that look like images, cheap enough per request.

Everything here is integer or correctly rounded IEEE arithmetic (+, -, *, /, sqrt) on arrays
built from the arguments alone: no sin, cos or exp, whose vectorized implementations differ in
the last bit between CPUs, so an image is the same on every machine. Noise comes from an
integer hash (not numpy's random generators, whose streams may change between numpy versions);
shapes that every instance of a series shares are cached, so synthesizing one slice costs little
more than adding its noise.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

_GOLDEN, _MIX1, _MIX2 = 0x9E3779B1, 0x85EBCA6B, 0xC2B2AE35  # numpy.uint32 where used


@lru_cache(maxsize=4)
def _noise_field(size: int) -> np.ndarray:
    """*size* values in -255..255 (triangular, mean 0) from a 32-bit integer hash."""
    x = np.arange(size, dtype=np.uint32) * np.uint32(_GOLDEN)
    x ^= x >> np.uint32(16)
    x *= np.uint32(_MIX1)
    x ^= x >> np.uint32(13)
    x *= np.uint32(_MIX2)
    x ^= x >> np.uint32(16)
    low = (x & np.uint32(0xFF)).astype(np.int16)
    high = ((x >> np.uint32(8)) & np.uint32(0xFF)).astype(np.int16)
    field: np.ndarray = low - high
    field.flags.writeable = False
    return field


def noise(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Deterministic noise in -255..255 of *shape*: the cached field, shifted by *seed*."""
    size = int(np.prod(shape))
    return np.roll(_noise_field(size), seed % size).reshape(shape)


@lru_cache(maxsize=4)
def _grid(rows: int, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates from -1 to 1 across each axis (y, x)."""
    y = np.linspace(-1, 1, rows, dtype=np.float32)[:, None]
    x = np.linspace(-1, 1, columns, dtype=np.float32)[None, :]
    return y, x


def _ellipse(rows: int, columns: int, cx: float, cy: float, ax: float, ay: float) -> np.ndarray:
    y, x = _grid(rows, columns)
    inside: np.ndarray = ((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2 <= 1
    return inside


def _finish(base: np.ndarray, seed: int, amplitude: int, top: int, dtype: type) -> np.ndarray:
    image: np.ndarray = base.astype(np.int32)
    image += (noise(base.shape, seed).astype(np.int32) * amplitude) // 255
    np.clip(image, 0, top, out=image)
    return image.astype(dtype)


# Tissue-like stored values: CT stores HU + 1024; MR values are arbitrary signal levels.
_TISSUES = {
    "CT": (0, 1024 + 700, 1024 + 40, 1024 + 60, 1024 + 120),
    "MR": (0, 300, 900, 1400, 2200),
}


# The phantom's ellipses (centre x, y, axes x, y, tissue; -1..1 across the columns and the rows),
# painted in this order
PHANTOM = [
    (0.0, 0.0, 0.85, 0.95, "shell"),
    (0.0, 0.0, 0.78, 0.88, "body"),
    (-0.3, 0.1, 0.25, 0.35, "organ"),
    (0.3, 0.1, 0.25, 0.35, "organ"),
    (0.1, -0.4, 0.08, 0.08, "lesion"),
]


def ellipse_scale(position: float) -> float:
    """How much the phantom's ellipses shrink at *position* (-1..1) along the volume."""
    return round(float(np.sqrt(max(1e-3, 1.0 - 0.8 * position * position))), 2)


@lru_cache(maxsize=32)
def _phantom_base(rows: int, columns: int, modality: str, scale: float) -> np.ndarray:
    background, shell, body, organ, lesion = _TISSUES[modality]
    values = {"shell": shell, "body": body, "organ": organ, "lesion": lesion}
    image = np.full((rows, columns), background, dtype=np.int16)
    for cx, cy, ax, ay, tissue in PHANTOM:
        image[_ellipse(rows, columns, cx, cy, ax * scale, ay * scale)] = values[tissue]
    image.flags.writeable = False
    return image


@lru_cache(maxsize=64)
def phantom_region(rows: int, columns: int, position: float, tissue: str) -> np.ndarray:
    """Where *tissue* (``organ`` or ``lesion``) lies in the phantom slice at *position*, as
    painted (what a segmentation of it marks), bool (read only: shared)."""
    scale = ellipse_scale(position)
    painted = np.zeros((rows, columns), dtype=bool)
    for cx, cy, ax, ay, which in PHANTOM:
        inside = _ellipse(rows, columns, cx, cy, ax * scale, ay * scale)
        painted = painted | inside if which == tissue else painted & ~inside
    painted.flags.writeable = False
    return painted


def phantom(rows: int, columns: int, position: float, modality: str, seed: int) -> np.ndarray:
    """A head/body-like CT or MR slice: ellipses of tissue-like values that shrink towards
    the ends of the volume (*position* in -1..1), with a little noise (12-bit, uint16)."""
    return _finish(
        _phantom_base(rows, columns, modality, ellipse_scale(position)), seed, 12, 4095, np.uint16
    )


@lru_cache(maxsize=8)
def _radiograph_base(rows: int, columns: int) -> np.ndarray:
    image = np.full((rows, columns), 300, dtype=np.int16)
    image[_ellipse(rows, columns, 0, 0, 0.9, 1.1)] = 2600
    for cx in (-0.4, 0.4):
        image[_ellipse(rows, columns, cx, -0.1, 0.3, 0.6)] = 1100
    _, x = _grid(rows, columns)
    image[:, np.abs(x[0]) < 0.08] = 3400
    image.flags.writeable = False
    return image


def radiograph(rows: int, columns: int, seed: int) -> np.ndarray:
    """A chest-radiograph-like projection: a bright body, darker lungs, a bright spine."""
    return _finish(_radiograph_base(rows, columns), seed, 20, 4095, np.uint16)


@lru_cache(maxsize=8)
def _mammogram_base(rows: int, columns: int, left: bool) -> np.ndarray:
    y, x = _grid(rows, columns)
    edge = -1.0 if left else 1.0  # the chest wall is on the image's left or right border
    image = np.full((rows, columns), 200, dtype=np.int16)
    breast = ((x - edge) / 1.5) ** 2 + (y / 0.95) ** 2 <= 1
    image[breast] = 1500
    # fibroglandular tissue: brighter oblique bands near the chest wall
    dense = breast & (((x - edge) / 1.0) ** 2 + (y / 0.6) ** 2 <= 1)
    r, c = np.indices((rows, columns))
    bands = ((r * 3 + c) // max(1, columns // 40)) % 3 == 0
    bands &= dense
    image[bands] = 2300
    image.flags.writeable = False
    return image


def mammogram(rows: int, columns: int, seed: int, left: bool) -> np.ndarray:
    """A mammogram-like projection: a half-ellipse breast with denser banded tissue."""
    return _finish(_mammogram_base(rows, columns, left), seed, 30, 4095, np.uint16)


@lru_cache(maxsize=4)
def _sector(rows: int, columns: int) -> np.ndarray:
    """The fan of an ultrasound sector probe, apex at the top centre."""
    y, x = _grid(rows, columns)
    depth2 = x**2 + (y + 1) ** 2
    fan = (depth2 > 0.01) & (depth2 < 3.61) & (np.abs(x) < 0.93 * (y + 1))  # ±43°
    fan.flags.writeable = False
    return fan  # type: ignore[no-any-return]


def ultrasound(rows: int, columns: int, frames: int, seed: int) -> np.ndarray:
    """A speckle-textured sector (8-bit), with a dark chamber that beats across *frames*."""
    fan = _sector(rows, columns)
    movie = np.zeros((frames, rows, columns), dtype=np.uint8)
    for f in range(frames):
        beat = 0.8 + 0.2 * abs(1 - 2 * f / max(1, frames))  # contracts, then relaxes
        speckle = noise((rows, columns), seed + f * 7919).astype(np.int32)
        frame = np.where(fan, 90 + (speckle * 60) // 255, 0)
        frame[_ellipse(rows, columns, 0.0, 0.1, 0.25 * beat, 0.35 * beat) & fan] = 15
        movie[f] = np.clip(frame, 0, 255)
    return movie


def angiogram(rows: int, columns: int, frames: int, seed: int) -> np.ndarray:
    """X-ray angiography (8-bit): contrast filling a branching vessel over the run."""
    y, x = _grid(rows, columns)
    background = 170 + (noise((rows, columns), seed).astype(np.int32) * 12) // 255
    vessels = [
        np.abs(x - 0.6 * y * (1 - y * y)) < 0.03,
        (np.abs(y - 0.5 * x - 0.1) < 0.025) & (x > -0.1),
        (np.abs(y + 0.6 * x + 0.2) < 0.02) & (x > 0.0),
    ]
    movie = np.empty((frames, rows, columns), dtype=np.uint8)
    for f in range(frames):
        frame = background.copy()
        reach = -1 + 2.2 * (f + 1) / max(1, frames)  # contrast advances down the image
        for vessel in vessels:
            frame[vessel & (y < reach)] = 60
        movie[f] = np.clip(frame, 0, 255)
    return movie


def emission(rows: int, columns: int, frames: int, seed: int, hot: float = 1.0) -> np.ndarray:
    """NM or PET counts (16-bit): a warm body with hot organs, Poisson-like noise."""
    movie = np.empty((frames, rows, columns), dtype=np.uint16)
    for f in range(frames):
        position = 2 * f / max(1, frames - 1) - 1 if frames > 1 else 0.0
        scale = float(np.sqrt(max(1e-3, 1.0 - 0.6 * position * position)))
        image = np.zeros((rows, columns), dtype=np.int32)
        image[_ellipse(rows, columns, 0, 0, 0.7 * scale, 0.9 * scale)] = 200
        image[_ellipse(rows, columns, -0.25, 0.2, 0.2 * scale, 0.15 * scale)] = int(900 * hot)
        image[_ellipse(rows, columns, 0.2, -0.3, 0.1, 0.1)] = int(1600 * hot)
        counts = image + (noise((rows, columns), seed + f).astype(np.int32) * image) // 1024
        movie[f] = np.clip(counts, 0, 65535)
    return movie


def screen(rows: int, columns: int, seed: int) -> np.ndarray:
    """A screen capture (8-bit): a header bar over banded lines, like a scanned report."""
    _, x = _grid(rows, columns)
    image: np.ndarray = np.broadcast_to(((x + 1) * 127.5).astype(np.uint8), (rows, columns)).copy()
    banded = (np.arange(rows) // 8) % 4 == 0
    image[banded] = 255 - image[banded]
    image[: max(1, rows // 8)] = seed % 64
    return image
