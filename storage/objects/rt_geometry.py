"""Where the radiotherapy objects of a CT study lie, in patient coordinates (mm, LPS): the
CT volume they are planned on, the regions of interest drawn on the phantom's ellipses
(body outline, kidneys, the lesion as GTV and a PTV around it), and the target the plan's
beams are aimed at. Shared by the structure set, the plan and the dose, so that all three
agree with each other and with the images."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from storage import pixels
from storage.objects.context import ImageSeries, StudyContext
from storage.objects.kinds import KINDS

PTV_MARGIN = 5.0  # mm around the GTV
FIELD_MARGIN = 7.0  # mm from the PTV to the field edge
CONTOUR_POINTS = 24


def rt_common(ctx: StudyContext, code: str) -> Dataset:
    """What the three RT objects share: the common modules, the RT Series' operator (Type
    2) and the equipment; no content date (the object's own date and time say when)."""
    kind = KINDS[code]
    ds = ctx.common(kind.modality, kind.sop_class, kind.series_description)
    ds.OperatorsName = ""
    ds.ManufacturerModelName = "Fabricator RT"
    del ds.ContentDate, ds.ContentTime
    return ds


@dataclass(frozen=True, slots=True)
class Roi:
    """One region of interest: its number, name, RT ROI Interpreted Type, display colour,
    the phantom ellipse it outlines (index in ``pixels.PHANTOM``) and its margin (mm)."""

    number: int
    name: str
    kind: str
    colour: tuple[int, int, int]
    ellipse: int
    margin: float = 0.0


# x increases towards the patient's left (LPS): the ellipse at x = +0.3 is the left kidney
ROIS = (
    Roi(1, "BODY", "EXTERNAL", (0, 255, 0), 0),
    Roi(2, "KIDNEY_R", "ORGAN", (255, 170, 0), 2),
    Roi(3, "KIDNEY_L", "ORGAN", (255, 220, 0), 3),
    Roi(4, "GTV", "GTV", (255, 0, 0), 4),
    Roi(5, "PTV", "PTV", (0, 128, 255), 4, PTV_MARGIN),
)
BODY, PTV = ROIS[0], ROIS[4]


@dataclass(frozen=True, slots=True)
class Volume:
    """The CT series the objects are planned on: its slices' headers, in order, and the
    mapping of the phantom's -1..1 coordinates to mm."""

    slices: tuple[Dataset, ...]
    rows: int
    columns: int
    spacing: tuple[float, float]  # between rows, between columns (mm)
    origin: tuple[float, float]  # x, y of the first pixel (mm)
    frame_of_reference: str
    thickness: float

    def z(self, i: int) -> float:
        return float(self.slices[i].ImagePositionPatient[2])

    def position(self, i: int) -> float:
        """Slice *i* in -1..1 along the volume (as the phantom was painted)."""
        n = len(self.slices)
        return (2 * i / (n - 1) - 1) if n > 1 else 0.0

    def ellipse(self, roi: Roi, i: int) -> tuple[float, float, float, float]:
        """Centre x, y and semi-axes x, y (mm) of *roi* on slice *i* (its margin added)."""
        cx, cy, ax, ay, _ = pixels.PHANTOM[roi.ellipse]
        scale = pixels.ellipse_scale(self.position(i))
        half_x = (self.columns - 1) / 2 * self.spacing[1]
        half_y = (self.rows - 1) / 2 * self.spacing[0]
        return (
            self.origin[0] + (cx + 1) * half_x,
            self.origin[1] + (cy + 1) * half_y,
            ax * scale * half_x + roi.margin,
            ay * scale * half_y + roi.margin,
        )

    def contour(self, roi: Roi, i: int) -> list[float]:
        """A closed planar contour of *roi* on slice *i*: x, y, z triples (0.01 mm)."""
        cx, cy, ax, ay = self.ellipse(roi, i)
        z = self.z(i)
        points: list[float] = []
        for n in range(CONTOUR_POINTS):
            angle = 2 * math.pi * n / CONTOUR_POINTS
            points += [round(cx + ax * math.cos(angle), 2), round(cy + ay * math.sin(angle), 2), z]
        return points


def volume(series: ImageSeries) -> Volume:
    shared = series.shared()
    slices = tuple(series.header(i) for i in range(series.count))
    first = slices[0].ImagePositionPatient
    return Volume(
        slices=slices,
        rows=int(shared.Rows),
        columns=int(shared.Columns),
        spacing=(float(shared.PixelSpacing[0]), float(shared.PixelSpacing[1])),
        origin=(float(first[0]), float(first[1])),
        frame_of_reference=str(shared.FrameOfReferenceUID),
        thickness=float(shared.SliceThickness),
    )


@dataclass(frozen=True, slots=True)
class Target:
    """What the plan's fields cover: the isocentre (the PTV's centre) and the half-widths of
    the fields across x, across y, and along z (mm)."""

    isocenter: tuple[float, float, float]
    half_x: float
    half_y: float
    half_z: float


def target(vol: Volume) -> Target:
    """The PTV at its widest (the middle slice) with the field margin, over the volume's
    length."""
    middle = len(vol.slices) // 2
    cx, cy, ax, ay = vol.ellipse(PTV, middle)
    z_first, z_last = vol.z(0), vol.z(len(vol.slices) - 1)
    return Target(
        isocenter=(round(cx, 1), round(cy, 1), round((z_first + z_last) / 2, 1)),
        half_x=round(ax + FIELD_MARGIN, 1),
        half_y=round(ay + FIELD_MARGIN, 1),
        half_z=round((z_last - z_first) / 2 + vol.thickness / 2, 1),
    )


# The beams' dose model, shared by the plan (its monitor units) and the dose grid: open
# fields with a linear penumbra, attenuated linearly with depth in the body (+, -, *, /, sqrt
# only, as in storage.pixels: the same bytes on every machine)
GANTRY_ANGLES = (0, 90, 180, 270)  # a four-field box
PENUMBRA = 6.0  # mm, 0 to 100 %
ATTENUATION = 0.003  # a millimetre of depth (3 % a centimetre, as 6 MV photons beyond dmax)


def depth(body: tuple[float, float, float, float], gantry: int, x: Any, y: Any) -> Any:
    """How deep (mm) the points *x*, *y* lie below the body's surface along the beam of
    *gantry* (IEC 61217, head first supine: 0 from the front, 90 from the patient's left);
    floats or numpy arrays."""
    cx, cy, ax, ay = body
    if gantry in (0, 180):
        half = ay * np.sqrt(np.maximum(0.0, 1.0 - ((x - cx) / ax) ** 2))
        return y - (cy - half) if gantry == 0 else (cy + half) - y
    half = ax * np.sqrt(np.maximum(0.0, 1.0 - ((y - cy) / ay) ** 2))
    return (cx + half) - x if gantry == 90 else x - (cx - half)


def attenuation(d: Any) -> Any:
    return np.clip(1.0 - ATTENUATION * d, 0.2, 1.0)


def edge(offset: Any, half: float) -> Any:
    """How much of the field reaches *offset* from its centre line: 1 inside, 0 outside."""
    return np.clip((half - np.abs(offset)) / PENUMBRA + 0.5, 0.0, 1.0)


def beam_factor(tgt: Target, body: tuple[float, float, float, float], gantry: int,
                x: Any, y: Any, z: Any) -> Any:  # fmt: skip
    """The relative dose of the beam of *gantry* at *x*, *y*, *z* (1 at the isocentre's
    depth with no attenuation)."""
    ix, iy, iz = tgt.isocenter
    across = edge(x - ix, tgt.half_x) if gantry in (0, 180) else edge(y - iy, tgt.half_y)
    return across * edge(z - iz, tgt.half_z) * attenuation(depth(body, gantry, x, y))


def at_isocenter(vol: Volume, tgt: Target, gantry: int) -> float:
    """The attenuation of the beam of *gantry* at the isocentre (the middle slice's body)."""
    body = vol.ellipse(BODY, len(vol.slices) // 2)
    ix, iy, _ = tgt.isocenter
    return float(attenuation(depth(body, gantry, ix, iy)))


def weight(vol: Volume, tgt: Target) -> float:
    """Every beam's dose at the reference depth for 1 Gy at the isocentre: the box's beams
    are given the same monitor units, each adding what reaches the isocentre through its
    depth."""
    return 1.0 / sum(at_isocenter(vol, tgt, gantry) for gantry in GANTRY_ANGLES)


PRESCRIPTIONS = ((50.0, 25), (60.0, 30), (45.0, 25), (70.0, 35))  # Gy to the PTV, fractions


def prescription(plan_uid: str) -> tuple[float, int]:
    """The plan's total dose (Gy) and number of fractions: drawn from its UID, so that the
    plan and its dose, built apart, agree."""
    return PRESCRIPTIONS[int(plan_uid.replace(".", "")[-6:]) % len(PRESCRIPTIONS)]
