"""The reference for objects the emulator writes with pydicom for speed: the same documents
built by highdicom, which writes content trees and evidence as the standard has them. Specs
hold the emulator's objects equal to these."""

from __future__ import annotations

from pydicom.dataset import Dataset

from storage.objects import sr
from storage.objects.context import StudyContext
from storage.objects.kinds import KINDS

TITLES = ("OfInterest", "ForTeaching")  # CID 7010: (113000, DCM), (113004, DCM)


def _pinned(document: Dataset, ctx: StudyContext, description: str) -> Dataset:
    """highdicom's document as a plain dataset, its dates the seed's (highdicom dates its
    creation and contribution now) and its series described as the emulator's."""
    ds = Dataset()
    ds.update(document)
    ds.SeriesDescription = description
    ds.InstanceCreationDate, ds.InstanceCreationTime = ctx.date, ctx.time
    ds.SeriesDate, ds.SeriesTime = ctx.date, ctx.time
    ds.StudyDescription = ctx.study.get("StudyDescription", "")
    for equipment in ds.get("ContributingEquipmentSequence", []):
        equipment.ContributionDateTime = ctx.date + ctx.time
    return ds


def key_object_selection(ctx: StudyContext) -> Dataset:
    """What ``storage.objects.ko.build`` makes, by highdicom."""
    from highdicom.ko import KeyObjectSelection, KeyObjectSelectionDocument
    from pydicom.sr.codedict import codes

    kind = KINDS["KO"]
    selected = ctx.selected(3)
    title = ctx.rng.choice(TITLES)
    content = KeyObjectSelection(
        document_title=getattr(codes.DCM, title),
        referenced_objects=selected,
        description=f"{len(selected)} key images",
    )
    document = KeyObjectSelectionDocument(
        evidence=selected,
        content=content,
        series_instance_uid=ctx.series_uid,
        series_number=ctx.series_number,
        sop_instance_uid=ctx.instance_uid,
        instance_number=1,
        manufacturer=ctx.manufacturer,
        content_date=ctx.date,
        content_time=ctx.time,
    )
    return _pinned(document, ctx, kind.series_description)


def measurement_report(ctx: StudyContext) -> Dataset:
    """What ``storage.objects.sr.build`` makes, by highdicom."""
    import highdicom as hd
    from pydicom.sr.codedict import codes

    kind = KINDS["SR"]
    procedures, other, findings_codes, sites, whole_body = (
        sr.PROCEDURES,
        sr.OTHER_PROCEDURE,
        sr.FINDINGS,
        sr.SITES,
        sr.WHOLE_BODY,
    )
    code = hd.sr.CodedConcept
    images = ctx.selected(2)
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Person,
        observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(
            name=str(ctx.study.get("ReferringPhysicianName", "") or "REPORTER^ANONYMOUS")
        ),
    )
    findings = []
    for n, image in enumerate(images, 1):
        points, diameter, area = sr.outline(ctx, image)  # the same draws: geometry is not tested
        measurements = [
            hd.sr.Measurement(
                name=code("81827009", "SCT", "Diameter"),
                value=diameter,
                unit=code("mm", "UCUM", "millimeter"),
            ),
            hd.sr.Measurement(
                name=code("42798000", "SCT", "Area"),
                value=area,
                unit=code("mm2", "UCUM", "square millimeter"),
            ),
        ]
        site = sites.get(str(image.get("BodyPartExamined", "")), whole_body)
        findings.append(
            hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
                tracking_identifier=hd.sr.TrackingIdentifier(
                    uid=ctx.uid(f"finding {n}"), identifier=f"Finding {n}"
                ),
                referenced_region=hd.sr.ImageRegion(
                    graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
                    graphic_data=points,
                    source_image=hd.sr.SourceImageForRegion(
                        referenced_sop_class_uid=image.SOPClassUID,
                        referenced_sop_instance_uid=image.SOPInstanceUID,
                    ),
                ),
                finding_type=code(*ctx.rng.choice(findings_codes)),
                finding_sites=[hd.sr.FindingSite(anatomic_location=code(*site))],
                measurements=measurements,
            )
        )
    modality = str(images[0].Modality)
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_person_context=observer),
        procedure_reported=code(*procedures.get(modality, other)),
        imaging_measurements=findings,
    )
    document_class = hd.sr.EnhancedSR if ctx.rng.random() < 0.5 else hd.sr.ComprehensiveSR
    document = document_class(
        evidence=images,
        content=report,
        series_instance_uid=ctx.series_uid,
        series_number=ctx.series_number,
        sop_instance_uid=ctx.instance_uid,
        instance_number=1,
        manufacturer=ctx.manufacturer,
        is_complete=True,
        content_date=ctx.date,
        content_time=ctx.time,
    )
    return _pinned(document, ctx, kind.series_description)


def segmentation(ctx: StudyContext, source_images: list[Dataset]) -> Dataset:
    """What ``storage.objects.seg.build`` makes, by highdicom, from the same study: its first
    series' images (*source_images*, whole), the phantom's masks, the same segments."""
    import numpy as np
    from highdicom import AlgorithmIdentificationSequence
    from highdicom.color import CIELabColor
    from highdicom.seg import Segmentation, SegmentDescription
    from highdicom.sr import CodedConcept

    from storage import pixels
    from storage.objects import seg

    fractional = ctx.rng.random() < 0.5  # the same draw as the emulator's
    n = len(source_images)
    masks = np.stack(
        [
            np.stack(
                [pixels.phantom_region(int(image.Rows), int(image.Columns),
                                       i / (n - 1) * 2 - 1 if n > 1 else 0.0, tissue)
                 for _, tissue, *_rest in seg.SEGMENTS],
                axis=-1,
            )
            for i, image in enumerate(source_images)
        ]
    )  # fmt: skip
    algorithm = AlgorithmIdentificationSequence(
        name="Fabricator threshold", family=CodedConcept("123109", "DCM", "Manual Processing"),
        version="1",
    )  # fmt: skip
    descriptions = [
        SegmentDescription(
            segment_number=number,
            segment_label=label,
            segmented_property_category=CodedConcept(*category),
            segmented_property_type=CodedConcept(*kind),
            algorithm_type="SEMIAUTOMATIC",
            algorithm_identification=algorithm,
            display_color=CIELabColor(
                colour[0] / 65535 * 100,
                colour[1] / 65535 * 255 - 128,
                colour[2] / 65535 * 255 - 128,
            ),
        )
        for number, (label, _, category, kind, colour) in enumerate(seg.SEGMENTS, 1)
    ]
    document = Segmentation(
        source_images=source_images,
        pixel_array=masks.astype(np.float32) if fractional else masks,
        segmentation_type="FRACTIONAL" if fractional else "BINARY",
        segment_descriptions=descriptions,
        series_instance_uid=ctx.series_uid,
        series_number=ctx.series_number,
        sop_instance_uid=ctx.instance_uid,
        instance_number=1,
        manufacturer=ctx.manufacturer,
        manufacturer_model_name="Fabricator SEG",
        software_versions="1",
        device_serial_number="1",
        omit_empty_frames=False,
        content_label="PHANTOM",
        content_description="Kidneys and lesion of the phantom",
        content_creator_name=ctx.study.get("ReferringPhysicianName", ""),
    )
    return _pinned(document, ctx, KINDS["SEG"].series_description)


def presentation_state(ctx: StudyContext, images: list[Dataset]) -> Dataset:
    """What ``storage.objects.pr.build`` makes, by highdicom, from the same study's first
    series (*images*, whole): the same annotation, layer, window and modality LUT (the same
    draws: geometry is not tested). highdicom has no rotation, flip or displayed area of a
    reader's choosing: the spec leaves those out."""
    import numpy as np
    from highdicom import ModalityLUTTransformation
    from highdicom.pr import (
        GraphicAnnotation,
        GraphicLayer,
        GraphicObject,
        GrayscaleSoftcopyPresentationState,
        SoftcopyVOILUTTransformation,
        TextObject,
    )

    from storage.objects import pr

    ctx.rng.choice([0, 90, 180, 270])  # the rotation and flip the emulator draws first
    ctx.rng.random()
    ours = pr.annotation(ctx, images[0])
    [text] = ours.TextObjectSequence
    layer = GraphicLayer(pr.LAYER, 1, "reader's annotations")
    annotation = GraphicAnnotation(
        referenced_images=[images[0]],
        graphic_layer=layer,
        graphic_objects=[
            GraphicObject(g.GraphicType, np.array(g.GraphicData, dtype=float).reshape(-1, 2),
                          "PIXEL")
            for g in ours.GraphicObjectSequence
        ],
        text_objects=[
            TextObject(text.UnformattedTextValue, "PIXEL",
                       bounding_box=(*text.BoundingBoxTopLeftHandCorner,
                                     *text.BoundingBoxBottomRightHandCorner),
                       text_justification="LEFT")
        ],
    )  # fmt: skip
    window = pr.window(ctx, images[0])
    header = images[0]
    modality_lut = (
        ModalityLUTTransformation(
            rescale_intercept=header.RescaleIntercept,
            rescale_slope=header.RescaleSlope,
            rescale_type=header.get("RescaleType", "US"),
        )
        if "RescaleSlope" in header
        else None
    )
    document = GrayscaleSoftcopyPresentationState(
        referenced_images=images,
        series_instance_uid=ctx.series_uid,
        series_number=ctx.series_number,
        sop_instance_uid=ctx.instance_uid,
        instance_number=1,
        manufacturer=ctx.manufacturer,
        manufacturer_model_name="Fabricator PR",
        software_versions="1",
        device_serial_number="1",
        content_label="READER_VIEW",
        content_description="Window, rotation and annotations",
        graphic_annotations=[annotation],
        graphic_layers=[layer],
        content_creator_name=ctx.study.get("ReferringPhysicianName", ""),
        modality_lut_transformation=modality_lut,
        voi_lut_transformations=[
            SoftcopyVOILUTTransformation(
                # lists: highdicom splits a str explanation into letters (0.28)
                window_center=[float(window.WindowCenter)],
                window_width=[float(window.WindowWidth)],
                window_explanation=["READER"],
            )
        ],
    )
    ds = _pinned(document, ctx, KINDS["PR"].series_description)
    ds.PresentationCreationDate, ds.PresentationCreationTime = ctx.date, ctx.time
    return ds
