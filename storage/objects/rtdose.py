"""RT Doses (PS3.3 A.18): the dose of the study's RT Plan (which it references) summed over
its fractions, on a grid over the planning CT (every slice, at most 64 x 64 across it), from
the same beam model the plan's monitor units come from (``rt_geometry``): the four fields
crossing in a box of the prescription dose around the PTV, each fading with depth, nothing
outside the body. 32-bit unsigned values with their Dose Grid Scaling in Gy."""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import RTPlanStorage

from storage.objects import rt_geometry
from storage.objects.context import StudyContext

GRID = 64  # at most, across each axis
TOP = 2**32 - 1


def grid_size(ct_rows: int, ct_columns: int) -> tuple[int, int, int]:
    """CT pixels a dose pixel, and the grid's rows and columns over a CT of that size."""
    step = max(1, -(-max(ct_rows, ct_columns) // GRID))
    return step, -(-ct_rows // step), -(-ct_columns // step)


def dose_grid(vol: rt_geometry.Volume, plan_uid: str) -> tuple[np.ndarray, float, float]:
    """The plan's total dose (Gy, float64, frames x rows x columns) and the grid's spacing
    between rows and between columns (mm)."""
    tgt = rt_geometry.target(vol)
    total, _ = rt_geometry.prescription(plan_uid)  # the whole plan's: every fraction
    step, rows, columns = grid_size(vol.rows, vol.columns)
    dy, dx = vol.spacing[0] * step, vol.spacing[1] * step
    y = (vol.origin[1] + np.arange(rows, dtype=np.float64) * dy)[:, None]
    x = (vol.origin[0] + np.arange(columns, dtype=np.float64) * dx)[None, :]
    per_beam = total * rt_geometry.weight(vol, tgt)  # each beam's at the reference depth
    frames = []
    for i in range(len(vol.slices)):
        body = vol.ellipse(rt_geometry.BODY, i)
        cx, cy, ax, ay = body
        inside = ((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2 <= 1.0
        dose = np.zeros((rows, columns))
        for gantry in rt_geometry.GANTRY_ANGLES:
            dose += per_beam * rt_geometry.beam_factor(tgt, body, gantry, x, y, vol.z(i))
        frames.append(np.where(inside, dose, 0.0))
    return np.stack(frames), dy, dx


def build(ctx: StudyContext) -> Dataset:
    ds = rt_geometry.rt_common(ctx, "RTDOSE")
    shared = ctx.images[0].shared()
    _, ds.Rows, ds.Columns = grid_size(int(shared.Rows), int(shared.Columns))
    ds.NumberOfFrames = ctx.images[0].count  # a frame a CT slice
    if ctx.header_only:  # the index's columns are set: no grid
        return ds
    vol = rt_geometry.volume(ctx.images[0])
    dose, dy, dx = dose_grid(vol, ctx.peers["RTPLAN"])
    ds.FrameOfReferenceUID = vol.frame_of_reference
    ds.PositionReferenceIndicator = ""
    ds.PatientOrientation = ""
    ds.ImagePositionPatient = [*vol.origin, vol.z(0)]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [round(dy, 4), round(dx, 4)]
    ds.SliceThickness = ""
    frames = len(dose)
    ds.FrameIncrementPointer = 0x3004000C  # Grid Frame Offset Vector
    ds.GridFrameOffsetVector = [round(vol.z(i) - vol.z(0), 3) for i in range(frames)]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 32
    ds.HighBit = 31
    ds.PixelRepresentation = 0
    ds.DoseUnits = "GY"
    ds.DoseType = "PHYSICAL"
    ds.DoseSummationType = "PLAN"
    scaling = float(f"{float(dose.max()) / TOP:.6g}") * 1.0001 or 1.0  # the top fits
    ds.DoseGridScaling = f"{scaling:.6g}"
    plan = Dataset()
    plan.ReferencedSOPClassUID = RTPlanStorage
    plan.ReferencedSOPInstanceUID = ctx.peers["RTPLAN"]
    ds.ReferencedRTPlanSequence = Sequence([plan])
    scale = float(ds.DoseGridScaling)
    ds.PixelData = np.rint(dose / scale).astype("<u4").tobytes()
    ds["PixelData"].VR = "OW"
    return ds
