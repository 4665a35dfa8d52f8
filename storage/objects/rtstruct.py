"""RT Structure Sets (PS3.3 A.19): the regions of interest a dosimetrist draws on the study's
first CT series, on the phantom's ellipses (``rt_geometry.ROIS``): the body outline
(EXTERNAL), both kidneys (ORGAN), the lesion (GTV) and a PTV 5 mm around it, one closed
planar contour per ROI and slice, each with the CT image it lies on."""

from __future__ import annotations

from pydicom.dataset import Dataset

from storage.objects import rt_geometry
from storage.objects.content import Item, into, of
from storage.objects.context import StudyContext

# (0008,1150) of a study referenced by an RT Referenced Study Sequence: the retired Detached
# Study Management SOP Class, as the standard's C.8.8.5 still names it
STUDY_COMPONENT_CLASS = "1.2.840.10008.3.1.2.3.1"


def _image_reference(image: Dataset) -> Item:
    return Item({0x00081150: ("UI", image.SOPClassUID), 0x00081155: ("UI", image.SOPInstanceUID)})


def _referenced_frame(ctx: StudyContext, vol: rt_geometry.Volume) -> Item:
    """The frame of reference, study, series and every image the contours lie on."""
    series = Item(
        {
            0x0020000E: ("UI", vol.slices[0].SeriesInstanceUID),  # Series Instance UID
            0x30060016: ("SQ", [_image_reference(s) for s in vol.slices]),  # Contour Images
        }
    )
    study = Item(
        {
            0x00081150: ("UI", STUDY_COMPONENT_CLASS),  # Referenced SOP Class UID
            0x00081155: ("UI", ctx.study.StudyInstanceUID),  # Referenced SOP Instance UID
            0x30060014: ("SQ", [series]),  # RT Referenced Series Sequence
        }
    )
    return Item(
        {
            0x00200052: ("UI", vol.frame_of_reference),  # Frame of Reference UID
            0x30060012: ("SQ", [study]),  # RT Referenced Study Sequence
        }
    )


def _roi_contour(vol: rt_geometry.Volume, roi: rt_geometry.Roi) -> Item:
    contours = [
        Item(
            {
                0x30060016: ("SQ", [_image_reference(image)]),  # Contour Image Sequence
                0x30060042: ("CS", "CLOSED_PLANAR"),  # Contour Geometric Type
                0x30060046: ("IS", rt_geometry.CONTOUR_POINTS),  # Number of Contour Points
                0x30060048: ("IS", i + 1),  # Contour Number
                0x30060050: ("DS", vol.contour(roi, i)),  # Contour Data
            }
        )
        for i, image in enumerate(vol.slices)
    ]
    return Item(
        {
            0x3006002A: ("IS", list(roi.colour)),  # ROI Display Color
            0x30060040: ("SQ", contours),  # Contour Sequence
            0x30060084: ("IS", roi.number),  # Referenced ROI Number
        }
    )


def build(ctx: StudyContext) -> Dataset:
    ds = rt_geometry.rt_common(ctx, "RTSTRUCT")
    ds.StructureSetLabel = "PHANTOM"
    ds.StructureSetName = "Phantom contours"
    ds.StructureSetDate, ds.StructureSetTime = ctx.date, ctx.time
    ds.ApprovalStatus = "UNAPPROVED"
    if ctx.header_only:  # the index's columns are set: no contours
        return ds
    vol = rt_geometry.volume(ctx.images[0])
    ds.FrameOfReferenceUID = vol.frame_of_reference
    ds.PositionReferenceIndicator = ""
    rois = [
        of(
            ROINumber=roi.number,
            ReferencedFrameOfReferenceUID=vol.frame_of_reference,
            ROIName=roi.name,
            ROIGenerationAlgorithm="SEMIAUTOMATIC",
        )
        for roi in rt_geometry.ROIS
    ]
    observations = [
        of(
            ObservationNumber=roi.number,
            ReferencedROINumber=roi.number,
            RTROIInterpretedType=roi.kind,
            ROIInterpreter="",
        )
        for roi in rt_geometry.ROIS
    ]
    # the contours: hundreds of items, encoded once (storage.objects.content)
    contours = [_roi_contour(vol, roi) for roi in rt_geometry.ROIS]
    into(
        ds,
        of(
            ReferencedFrameOfReferenceSequence=[_referenced_frame(ctx, vol)],
            StructureSetROISequence=rois,
            ROIContourSequence=contours,
            RTROIObservationsSequence=observations,
        ),
    )
    return ds
