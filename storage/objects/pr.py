"""Grayscale Softcopy Presentation States (PS3.3 A.33.1): how a reader left the study's first
series: a window, a rotation (and sometimes a flip), the displayed area, and on one image a
text annotation with an outline and a circle in a graphic layer of their own. For a viewer's
presentation state support: it must apply all of these, not only show the images."""

from __future__ import annotations

import math

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence

from storage.objects.content import sop_reference
from storage.objects.context import StudyContext
from storage.objects.kinds import KINDS

LAYER = "ANNOTATIONS"
LABELS = ["FINDING", "COMPARE", "KEY VIEW", "NOTE"]


def _first(value: object) -> float:
    return float(value[0] if isinstance(value, MultiValue) else value)  # type: ignore[arg-type]


def window(ctx: StudyContext, header: Dataset) -> Dataset:
    """A window near the image's own first one (a reader's adjustment); for an image with
    none, around the middle of its stored range."""
    if "WindowCenter" in header and "WindowWidth" in header:
        center, width = _first(header.WindowCenter), _first(header.WindowWidth)
    else:
        width = float(2 ** int(header.get("BitsStored", 8)))
        center = width / 2
    voi = Dataset()
    voi.WindowCenter = round(center + ctx.rng.uniform(-0.1, 0.1) * width)
    voi.WindowWidth = max(2, round(width * ctx.rng.uniform(0.6, 1.2)))
    voi.WindowCenterWidthExplanation = "READER"
    return voi


def annotation(ctx: StudyContext, image: Dataset) -> Dataset:
    rows, columns = int(image.Rows), int(image.Columns)
    x = ctx.rng.uniform(0.35, 0.65) * columns
    y = ctx.rng.uniform(0.35, 0.65) * rows
    radius = ctx.rng.uniform(0.05, 0.12) * min(rows, columns)
    outline = []
    for n in range(13):
        angle = 2 * math.pi * n / 12
        outline += [round(x + radius * math.cos(angle), 1), round(y + radius * math.sin(angle), 1)]
    polyline = Dataset()
    polyline.GraphicAnnotationUnits = "PIXEL"
    polyline.GraphicDimensions = 2
    polyline.NumberOfGraphicPoints = 13
    polyline.GraphicData = outline
    polyline.GraphicType = "POLYLINE"
    polyline.GraphicFilled = "N"
    circle = Dataset()
    circle.GraphicAnnotationUnits = "PIXEL"
    circle.GraphicDimensions = 2
    circle.NumberOfGraphicPoints = 2
    circle.GraphicData = [round(x, 1), round(y, 1), round(x + radius / 2, 1), round(y, 1)]
    circle.GraphicType = "CIRCLE"
    circle.GraphicFilled = "N"
    label = Dataset()
    label.UnformattedTextValue = ctx.rng.choice(LABELS)
    label.BoundingBoxAnnotationUnits = "PIXEL"
    left, top = max(1.0, round(x - radius, 1)), max(1.0, round(y - radius - 0.08 * rows, 1))
    label.BoundingBoxTopLeftHandCorner = [left, top]
    label.BoundingBoxBottomRightHandCorner = [
        min(float(columns), round(left + 0.3 * columns, 1)),
        min(float(rows), round(top + 0.06 * rows, 1)),
    ]
    label.BoundingBoxTextHorizontalJustification = "LEFT"
    annotation = Dataset()
    annotation.ReferencedImageSequence = Sequence([sop_reference(image)])
    annotation.GraphicLayer = LAYER
    annotation.TextObjectSequence = Sequence([label])
    annotation.GraphicObjectSequence = Sequence([polyline, circle])
    return annotation


def _corners(columns: int, rows: int, rotation: int, flip: bool) -> tuple[list[int], list[int]]:
    """The whole image as the displayed area, its corners given in the image's pixels as they
    land top left and bottom right once rotated (and flipped: as a rotation 90 degrees less;
    PS3.3 C.10.4)."""
    corners = {
        0: ([1, 1], [columns, rows]),
        90: ([1, rows], [columns, 1]),
        180: ([columns, rows], [1, 1]),
        270: ([columns, 1], [1, rows]),
    }
    return corners[(rotation - 90) % 360 if flip else rotation]


def build(ctx: StudyContext) -> Dataset:
    kind = KINDS["PR"]
    series = ctx.images[0]
    header = series.shared()
    ds = ctx.common(kind.modality, kind.sop_class, kind.series_description)
    if "BodyPartExamined" in header:  # the series' body part and side, as the images say
        ds.BodyPartExamined = header.BodyPartExamined
    side = header.get("Laterality") or header.get("ImageLaterality")
    if side in ("R", "L"):  # Type 2C for a paired part; an image may say it per image (MG)
        ds.Laterality = side
    del ds.ContentDate, ds.ContentTime  # not of this IOD: its creation date says when
    if ctx.header_only:  # the index's columns are set: no references, annotations, LUTs
        return ds
    images = [series.instance(i) for i in range(series.count)]
    ds.ManufacturerModelName = "Fabricator PR"
    ds.DeviceSerialNumber = "1"
    ds.SoftwareVersions = "1"
    ds.ContentLabel = "READER_VIEW"
    ds.ContentDescription = "Window, rotation and annotations"
    ds.PresentationCreationDate, ds.PresentationCreationTime = ctx.date, ctx.time
    ds.ContentCreatorName = ctx.study.get("ReferringPhysicianName", "")
    referenced = Dataset()
    referenced.ReferencedImageSequence = Sequence([sop_reference(i) for i in images])
    referenced.SeriesInstanceUID = images[0].SeriesInstanceUID
    ds.ReferencedSeriesSequence = Sequence([referenced])
    rotation = ctx.rng.choice([0, 90, 180, 270])
    flip = ctx.rng.random() < 0.25
    area = Dataset()
    corners = _corners(int(header.Columns), int(header.Rows), rotation, flip)
    area.DisplayedAreaTopLeftHandCorner, area.DisplayedAreaBottomRightHandCorner = corners
    area.PresentationSizeMode = "SCALE TO FIT"
    area.PresentationPixelAspectRatio = [1, 1]
    ds.DisplayedAreaSelectionSequence = Sequence([area])
    layer = Dataset()
    layer.GraphicLayer = LAYER
    layer.GraphicLayerOrder = 1
    layer.GraphicLayerDescription = "reader's annotations"
    ds.GraphicLayerSequence = Sequence([layer])
    ds.GraphicAnnotationSequence = Sequence([annotation(ctx, images[0])])
    ds.ImageRotation = rotation
    ds.ImageHorizontalFlip = "Y" if flip else "N"
    if "RescaleSlope" in header:
        ds.RescaleIntercept = header.RescaleIntercept
        ds.RescaleSlope = header.RescaleSlope
        ds.RescaleType = header.get("RescaleType", "US")
    ds.SoftcopyVOILUTSequence = Sequence([window(ctx, header)])
    ds.PresentationLUTShape = "IDENTITY"
    return ds
