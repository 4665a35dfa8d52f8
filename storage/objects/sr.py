"""Measurement reports (PS3.16 TID 1500) as Comprehensive SR or Enhanced SR (PS3.3 A.35.3,
A.35.2): one or two findings on images of the study, each with its region (an outline on the
image), its finding site, and measurements with UCUM units.

Written with pydicom (``storage.objects.content``): highdicom builds the same document (a
spec holds this one to highdicom's, ``tests/helpers/reference_objects.py``) but at ~17 per
second, where on-demand synthesis needs 200."""

from __future__ import annotations

import math

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ComprehensiveSRStorage, EnhancedSRStorage

from storage.objects import content as sr
from storage.objects.context import StudyContext, evidence
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


REPORT = ("126000", "DCM", "Imaging Measurement Report")
LANGUAGE = ("121049", "DCM", "Language of Content Item and Descendants")
ENGLISH = ("en-US", "RFC5646", "English (United States)")
OBSERVER_TYPE, PERSON = ("121005", "DCM", "Observer Type"), ("121006", "DCM", "Person")
OBSERVER_NAME = ("121008", "DCM", "Person Observer Name")
PROCEDURE = ("121058", "DCM", "Procedure reported")
MEASUREMENTS = ("126010", "DCM", "Imaging Measurements")
GROUP = ("125007", "DCM", "Measurement Group")
TRACKING, TRACKING_UID = (
    ("112039", "DCM", "Tracking Identifier"),
    (
        "112040",
        "DCM",
        "Tracking Unique Identifier",
    ),
)
FINDING, FINDING_SITE = ("121071", "DCM", "Finding"), ("363698007", "SCT", "Finding Site")
DIAMETER, AREA = ("81827009", "SCT", "Diameter"), ("42798000", "SCT", "Area")
MM, MM2 = ("mm", "UCUM", "millimeter"), ("mm2", "UCUM", "square millimeter")
IMAGE_REGION, SOURCE = ("111030", "DCM", "Image Region"), ("260753009", "SCT", "Source")


def outline(ctx: StudyContext, image: Dataset) -> tuple[np.ndarray, float, float]:
    """A finding's outline on *image* (a closed polyline of 13 points, float32 image
    coordinates, drawn from the object's stream), its diameter and area in mm and mm²."""
    rows, columns = int(image.Rows), int(image.Columns)
    spacing = float(image.PixelSpacing[0]) if "PixelSpacing" in image else 1.0
    radius = ctx.rng.uniform(0.04, 0.12) * min(rows, columns)
    x = ctx.rng.uniform(0.35, 0.65) * columns
    y = ctx.rng.uniform(0.35, 0.65) * rows
    points = np.array(
        [[x + radius * math.cos(a), y + radius * math.sin(a)]
         for a in np.linspace(0, 2 * math.pi, 13)],
        dtype=np.float32,
    )  # fmt: skip
    points[-1] = points[0]  # closed
    diameter = round(2 * radius * spacing, 1)
    return points, diameter, round(math.pi * (diameter / 2) ** 2, 1)


def _finding(ctx: StudyContext, n: int, image: Dataset) -> sr.Item:
    """One measurement group (TID 1410) on *image*."""
    points, diameter, area = outline(ctx, image)
    finding = ctx.rng.choice(FINDINGS)
    site = SITES.get(str(image.get("BodyPartExamined", "")), WHOLE_BODY)
    frames = int(image.get("NumberOfFrames", 1))  # an outline lies on one frame of a volume
    source = sr.image("SELECTED FROM", SOURCE, image, frames // 2 + 1 if frames > 1 else None)
    return sr.container(
        "CONTAINS",
        GROUP,
        [
            sr.text("HAS OBS CONTEXT", TRACKING, f"Finding {n}"),
            sr.uidref("HAS OBS CONTEXT", TRACKING_UID, ctx.uid(f"finding {n}")),
            sr.coded("CONTAINS", FINDING, finding),
            sr.coded("HAS CONCEPT MOD", FINDING_SITE, site),
            sr.number("CONTAINS", DIAMETER, diameter, MM),
            sr.number("CONTAINS", AREA, area, MM2),
            sr.region("CONTAINS", IMAGE_REGION, "POLYLINE", points.flatten().tolist(), source),
        ],
        tid="1410",
    )


def build(ctx: StudyContext) -> Dataset:
    kind = KINDS["SR"]
    images = ctx.selected(2)
    findings = [_finding(ctx, n, image) for n, image in enumerate(images, 1)]
    sop_class = EnhancedSRStorage if ctx.rng.random() < 0.5 else ComprehensiveSRStorage
    ds = ctx.common(kind.modality, sop_class, kind.series_description)
    ds.ReferencedPerformedProcedureStepSequence = Sequence()
    ds.PerformedProcedureCodeSequence = Sequence()
    ds.CompletionFlag, ds.VerificationFlag, ds.PreliminaryFlag = (
        "COMPLETE",
        "UNVERIFIED",
        "PRELIMINARY",
    )
    ds.CurrentRequestedProcedureEvidenceSequence = evidence(images)
    observer = str(ctx.study.get("ReferringPhysicianName", "") or "REPORTER^ANONYMOUS")
    procedure = PROCEDURES.get(str(images[0].Modality), OTHER_PROCEDURE)
    root = sr.container(
        None,
        REPORT,
        [
            sr.coded("HAS CONCEPT MOD", LANGUAGE, ENGLISH),
            sr.coded("HAS OBS CONTEXT", OBSERVER_TYPE, PERSON),
            sr.person("HAS OBS CONTEXT", OBSERVER_NAME, observer),
            sr.coded("HAS CONCEPT MOD", PROCEDURE, procedure),
            sr.container("CONTAINS", MEASUREMENTS, findings),
        ],
        tid="1500",
    )
    sr.into(ds, root)
    return ds
