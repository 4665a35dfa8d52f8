"""Measurement reports (PS3.16 TID 1500) as Comprehensive SR or Enhanced SR (PS3.3 A.35.3,
A.35.2): one or two findings on images of the study, each with its region (an outline on the
image), its finding site, and measurements with UCUM units; built by highdicom, which writes
the templates' content items and relationships as the standard has them."""

from __future__ import annotations

import math

import numpy as np
from pydicom.dataset import Dataset

from storage.objects.context import StudyContext
from storage.objects.kinds import KINDS

PROCEDURES = {  # the study's modality → the procedure reported (LOINC)
    "CT": ("25045-6", "LN", "CT unspecified body region"),
    "MR": ("25056-3", "LN", "MRI unspecified body region"),
}
OTHER_PROCEDURE = ("363679005", "SCT", "Imaging")
FINDINGS = [
    ("27925004", "SCT", "Nodule"),
    ("4147007", "SCT", "Mass"),
    ("52988006", "SCT", "Lesion"),
]
SITES = {  # BodyPartExamined → finding site (SNOMED CT)
    "CHEST": ("51185008", "SCT", "Thorax"),
    "HEAD": ("69536005", "SCT", "Head"),
    "BRAIN": ("12738006", "SCT", "Brain"),
    "ABDOMEN": ("818983003", "SCT", "Abdomen"),
    "KNEE": ("72696002", "SCT", "Knee"),
    "SPINE": ("421060004", "SCT", "Spine"),
    "HAND": ("85562004", "SCT", "Hand"),
    "BREAST": ("76752008", "SCT", "Breast"),
    "HEART": ("80891009", "SCT", "Heart"),
}
WHOLE_BODY = ("38266002", "SCT", "Entire body as a whole")


def build(ctx: StudyContext) -> Dataset:
    import highdicom as hd
    from pydicom.sr.codedict import codes

    kind = KINDS["SR"]
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
        rows, columns = int(image.Rows), int(image.Columns)
        spacing = float(image.PixelSpacing[0]) if "PixelSpacing" in image else 1.0
        radius = ctx.rng.uniform(0.04, 0.12) * min(rows, columns)
        x = ctx.rng.uniform(0.35, 0.65) * columns
        y = ctx.rng.uniform(0.35, 0.65) * rows
        outline = np.array(
            [[x + radius * math.cos(a), y + radius * math.sin(a)]
             for a in np.linspace(0, 2 * math.pi, 13)],
            dtype=np.float32,
        )  # fmt: skip
        outline[-1] = outline[0]  # a closed polyline
        diameter = round(2 * radius * spacing, 1)
        measurements = [
            hd.sr.Measurement(
                name=code("81827009", "SCT", "Diameter"),
                value=diameter,
                unit=code("mm", "UCUM", "millimeter"),
            ),
            hd.sr.Measurement(
                name=code("42798000", "SCT", "Area"),
                value=round(math.pi * (diameter / 2) ** 2, 1),
                unit=code("mm2", "UCUM", "square millimeter"),
            ),
        ]
        site = SITES.get(str(image.get("BodyPartExamined", "")), WHOLE_BODY)
        findings.append(
            hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
                tracking_identifier=hd.sr.TrackingIdentifier(
                    uid=f"{ctx.instance_uid}.{n}", identifier=f"Finding {n}"
                ),
                referenced_region=hd.sr.ImageRegion(
                    graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
                    graphic_data=outline,
                    source_image=hd.sr.SourceImageForRegion(
                        referenced_sop_class_uid=image.SOPClassUID,
                        referenced_sop_instance_uid=image.SOPInstanceUID,
                    ),
                ),
                finding_type=code(*ctx.rng.choice(FINDINGS)),
                finding_sites=[hd.sr.FindingSite(anatomic_location=code(*site))],
                measurements=measurements,
            )
        )
    modality = str(images[0].Modality)
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_person_context=observer),
        procedure_reported=code(*PROCEDURES.get(modality, OTHER_PROCEDURE)),
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
    ds = Dataset()
    ds.update(document)
    ds.SeriesDescription = kind.series_description
    ds.InstanceCreationDate, ds.InstanceCreationTime = ctx.date, ctx.time  # not now: the seed's
    ds.SeriesDate, ds.SeriesTime = ctx.date, ctx.time
    ds.StudyDescription = ctx.study.get("StudyDescription", "")
    for equipment in ds.get("ContributingEquipmentSequence", []):  # highdicom's, dated now
        equipment.ContributionDateTime = ctx.date + ctx.time
    return ds
