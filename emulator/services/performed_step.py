"""The Modality Performed Procedure Step an acquisition's modality would send (PS3.4 F.7,
IHE RAD-6 and RAD-7): created IN PROGRESS when the acquisition starts, set COMPLETED with its
performed series and their images when it ends, in the emulator's own MPPS store, as if
received from the modality (calling AE ``ACQUISITION``), so ``GET /api/mpps`` shows it."""

from __future__ import annotations

import datetime as dt
import uuid
from copy import deepcopy

from pydicom.dataset import Dataset

from emulator.services.context import ServiceContext
from emulator.services.workflow_journal import CALLING_AE  # the simulated modality

SCHEDULED = ("StudyInstanceUID", "AccessionNumber", "RequestedProcedureID",
             "RequestedProcedureDescription")  # fmt: skip
STEP = ("ScheduledProcedureStepID", "ScheduledProcedureStepDescription",
        "ScheduledProtocolCodeSequence")  # fmt: skip
PATIENT = ("PatientName", "PatientID", "IssuerOfPatientID", "PatientBirthDate", "PatientSex")


def reason(code: str) -> Dataset:
    """The code item of the Procedure Discontinuation Reason (CID 9300) *code*."""
    from pydicom.sr.codedict import codes  # the code dictionary: only when a step ends so

    cid = codes.cid9300
    found = (getattr(cid, name) for name in dir(cid) if name[:1].isupper())
    meaning = next(c.meaning for c in found if (c.value, c.scheme_designator) == (code, "DCM"))
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = code, "DCM", meaning
    return item


def picked(item: Dataset, item_keys: tuple[str, ...], step: Dataset,
           step_keys: tuple[str, ...]) -> Dataset:  # fmt: skip
    """The attributes *item_keys* of the worklist *item* and *step_keys* of its *step* that
    they have, in one item (a Scheduled Step Attributes or Request Attributes item)."""
    ds = Dataset()
    for source, keys in ((item, item_keys), (step, step_keys)):
        for keyword in keys:
            if keyword in source:
                ds[keyword] = source[keyword]
    return ds


def start(ctx: ServiceContext, item: Dataset, step: Dataset, modality: str,
          now: dt.datetime) -> tuple[str, Dataset]:  # fmt: skip
    """Create the step IN PROGRESS (N-CREATE); its SOP Instance UID and attributes."""
    scheduled = picked(item, SCHEDULED, step, STEP)
    ds = Dataset()
    ds.SpecificCharacterSet = item.get("SpecificCharacterSet", "ISO_IR 192") or "ISO_IR 192"
    ds.ScheduledStepAttributesSequence = [scheduled]
    for keyword in PATIENT:
        if keyword in item:
            ds[keyword] = item[keyword]
    station = str(step.get("ScheduledStationAETitle", "") or "") or f"{modality}01"
    ds.PerformedProcedureStepID = f"PPS{uuid.uuid4().int % 10**10:010d}"
    ds.PerformedStationAETitle = station[:16]
    ds.PerformedStationName = station[:16]
    ds.PerformedLocation = ""
    ds.PerformedProcedureStepStartDate = now.strftime("%Y%m%d")
    ds.PerformedProcedureStepStartTime = now.strftime("%H%M%S")
    ds.PerformedProcedureStepStatus = "IN PROGRESS"
    ds.PerformedProcedureStepDescription = str(step.get("ScheduledProcedureStepDescription", ""))
    ds.PerformedProcedureTypeDescription = ""
    ds.ProcedureCodeSequence = deepcopy(item.get("RequestedProcedureCodeSequence", []))
    ds.PerformedProcedureStepEndDate = ds.PerformedProcedureStepEndTime = ""
    ds.Modality = modality
    ds.StudyID = ""
    ds.PerformedProtocolCodeSequence = deepcopy(step.get("ScheduledProtocolCodeSequence", []))
    ds.PerformedSeriesSequence = []
    uid = f"2.25.{uuid.uuid4().int}"
    ctx.procedure_steps.create(uid, ds, CALLING_AE)
    return uid, ds


def complete(ctx: ServiceContext, uid: str, attributes: Dataset, images: list[Dataset],
             discontinued: str = "") -> None:  # fmt: skip
    """Set the step COMPLETED (N-SET) with the series made and their images, or DISCONTINUED
    with the reason whose DCM code (CID 9300) *discontinued* is."""
    done = deepcopy(attributes)
    now = dt.datetime.now()
    done.PerformedProcedureStepStatus = "DISCONTINUED" if discontinued else "COMPLETED"
    if discontinued:
        done.PerformedProcedureStepDiscontinuationReasonCodeSequence = [reason(discontinued)]
    done.PerformedProcedureStepEndDate = now.strftime("%Y%m%d")
    done.PerformedProcedureStepEndTime = now.strftime("%H%M%S")
    by_series: dict[str, list[Dataset]] = {}
    for image in images:
        by_series.setdefault(str(image.SeriesInstanceUID), []).append(image)
    performed = []
    for series_uid, members in by_series.items():
        first = members[0]
        one = Dataset()
        one.PerformingPhysicianName = first.get("PerformingPhysicianName", "")
        one.ProtocolName = first.get("ProtocolName", "") or first.get("SeriesDescription", "")
        one.OperatorsName = first.get("OperatorsName", "")
        one.SeriesInstanceUID = series_uid
        one.SeriesDescription = first.get("SeriesDescription", "")
        one.RetrieveAETitle = ctx.ae_title
        references = []
        for image in members:
            reference = Dataset()
            reference.ReferencedSOPClassUID = image.SOPClassUID
            reference.ReferencedSOPInstanceUID = image.SOPInstanceUID
            references.append(reference)
        one.ReferencedImageSequence = references
        one.ReferencedNonImageCompositeSOPInstanceSequence = []
        performed.append(one)
    done.PerformedSeriesSequence = performed
    ctx.procedure_steps.replace(uid, "IN PROGRESS", done)
