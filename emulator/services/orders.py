"""HL7 v2 orders (ORM^O01, OMI^O23) to worklist items, answered with an HL7 ACK.

Parsing is python-hl7's; this module maps fields to DICOM attributes (the README has the table)
and applies the order control: NW creates worklist items, CA removes them, XO replaces them,
each found again by accession number. Every answer is an ACK: AA, AE (the order is wrong: an
ERR segment says where and why) or AR (the message cannot be processed here).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pydicom.dataset import Dataset

from emulator.errors import InvalidWorklistItem, is_expected
from emulator.services import adt, results
from emulator.services.acquisition import schedule
from emulator.services.context import ServiceContext
from emulator.services.hl7_messages import (
    SEX,
    HL7Error,
    OrderResult,
    ack,
    bare_ack,
    date_time,
    field,
    has,
    parse,
    person,
)
from storage.uids import uid_problem

log = logging.getLogger(__name__)

MESSAGE_TYPES = {("ORM", "O01"), ("OMI", "O23")}
ORDER_CONTROLS = ("NW", "CA", "XO")


def _code(value: str, meaning: str, scheme: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme or "L"
    item.CodeMeaning = meaning or value
    return item


def to_item(msg: Any) -> Dataset:
    """The worklist item an order describes (see the README's mapping table).

    Raises
    ------
    HL7Error
        Naming the field that is missing or malformed.
    """
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    patient_id = field(msg, "PID", 3)
    if not patient_id:
        raise HL7Error("PID-3 (patient ID) is required", where="PID^1^3")
    ds.PatientID = patient_id
    issuer = field(msg, "PID", 3, 4)
    if issuer:
        ds.IssuerOfPatientID = issuer
    ds.PatientName = person(msg, "PID", 5)
    birth, _ = date_time(field(msg, "PID", 7))
    ds.PatientBirthDate = birth
    ds.PatientSex = SEX.get(field(msg, "PID", 8).upper(), "")
    if has(msg, "PV1"):
        ds.ReferringPhysicianName = person(msg, "PV1", 8, offset=1)
        visit = field(msg, "PV1", 19)
        if visit:
            ds.AdmissionID = visit
    placer, filler = field(msg, "ORC", 2), field(msg, "ORC", 3)
    if placer:
        ds.PlacerOrderNumberImagingServiceRequest = placer
    if filler:
        ds.FillerOrderNumberImagingServiceRequest = filler
    if not has(msg, "OBR"):
        raise HL7Error("an OBR segment is required", where="OBR")
    ipc = has(msg, "IPC")  # OMI^O23 (IHE RAD-4 in HL7 v2.5.1)
    accession = (field(msg, "IPC", 1) if ipc else "") or field(msg, "OBR", 18) or filler
    if not accession:
        raise HL7Error("an accession number is required (OBR-18, IPC-1 or ORC-3)", where="OBR^1^18")
    ds.AccessionNumber = accession[:16]
    service, meaning, scheme = (field(msg, "OBR", 4, n) for n in (1, 2, 3))
    if service:
        ds.RequestedProcedureCodeSequence = [_code(service, meaning, scheme)]
    ds.RequestedProcedureDescription = meaning or service
    ds.RequestedProcedureID = (field(msg, "IPC", 2) if ipc else "") or field(msg, "OBR", 19)
    ds.RequestedProcedureID = ds.RequestedProcedureID or accession[:16]
    study = (field(msg, "IPC", 3) if ipc else "") or (
        field(msg, "ZDS", 1) if has(msg, "ZDS") else ""
    )
    if study:
        if uid_problem(study):
            raise HL7Error(
                f"Study Instance UID {uid_problem(study)}", where="ZDS^1^1", hl7_error=102
            )
        ds.StudyInstanceUID = study
    step = Dataset()
    step.ScheduledProcedureStepID = (field(msg, "IPC", 4) if ipc else "") or field(msg, "OBR", 20)
    step.Modality = ((field(msg, "IPC", 5) if ipc else "") or field(msg, "OBR", 24)).upper()
    step.ScheduledStationAETitle = (field(msg, "IPC", 9) if ipc else "") or field(msg, "OBR", 21)
    start = (field(msg, "TQ1", 7) if has(msg, "TQ1") else "") or field(msg, "OBR", 27, 4)
    start = start or field(msg, "OBR", 7)
    step.ScheduledProcedureStepStartDate, step.ScheduledProcedureStepStartTime = date_time(start)
    step.ScheduledPerformingPhysicianName = person(msg, "OBR", 34, offset=1)
    step.ScheduledProcedureStepDescription = meaning or service
    step.ScheduledProcedureStepStatus = "SCHEDULED"
    ds.ScheduledProcedureStepSequence = [step]
    return ds


def apply(text: str, ctx: ServiceContext, source: str) -> OrderResult:
    """Read one HL7 message, apply its order, and build the ACK (never raises)."""
    try:
        msg = parse(text)
    except HL7Error as exc:
        return OrderResult("AR", bare_ack(text, exc), detail=str(exc))
    try:
        result = _apply(msg, ctx, source)
    except HL7Error as exc:
        log.info("hl7 %s: %s %s", source, exc.code, exc)
        return OrderResult(exc.code, ack(msg, exc.code, exc), detail=str(exc))
    except InvalidWorklistItem as exc:
        error = HL7Error(str(exc))
        return OrderResult("AE", ack(msg, "AE", error), detail=str(exc))
    except Exception as exc:  # the archive failed: the sender may retry
        if is_expected(exc):  # a full or failing disk: one line
            log.warning("hl7 %s: order not applied: %s", source, exc)
        else:
            log.exception("hl7 %s: internal error", source)
        error = HL7Error(f"internal error: {exc}", "AR", hl7_error=207)
        return OrderResult("AR", ack(msg, "AR", error), detail=str(error))
    result.ack = ack(msg, "AA", None)
    if result.accession:  # an order
        log.info(
            "hl7 %s: %s accession=%s added=%d removed=%d",
            source,
            result.control,
            result.accession,
            len(result.worklist_ids),
            result.removed,
        )
    else:  # a patient change
        log.info("hl7 %s: %s %s", source, result.control, result.detail)
    return result


def _apply(msg: Any, ctx: ServiceContext, source: str) -> OrderResult:
    kind = (field(msg, "MSH", 9, 1), field(msg, "MSH", 9, 2))
    if kind[0] == "ADT":  # a patient change
        return adt.apply(msg, ctx)
    if kind == ("ORU", "R01"):  # a report back
        return results.apply(msg, ctx)
    if kind not in MESSAGE_TYPES:
        shown = "^".join(kind)
        raise HL7Error(
            f"message type {shown} is not an order (ORM^O01, OMI^O23), a patient change (ADT)"
            " or a report (ORU^R01)",
            "AR",
            "MSH^1^9",
            200,
        )
    control = field(msg, "ORC", 1).upper()
    if control not in ORDER_CONTROLS:
        raise HL7Error(
            f"order control {control or '(none)'} is not NW, CA or XO",
            where="ORC^1^1",
            hl7_error=103,
        )
    item = to_item(msg)
    accession = str(item.AccessionNumber)
    result = OrderResult("AA", "", control, accession)
    old = ctx.worklist.of_accession(accession) if control != "NW" else []
    if control != "NW" and not old:
        unknown = f"no order with accession number {accession}"
        raise HL7Error(unknown, where="OBR^1^18", hl7_error=204)
    if control != "CA":
        if "StudyInstanceUID" not in item:  # a changed order keeps its study
            item.StudyInstanceUID = old[0][1] if old else f"2.25.{uuid.uuid4().int}"
        result.worklist_ids = ctx.worklist.add(item, source)  # first: a failure loses nothing
    for pk, _ in old:
        result.removed += ctx.worklist.delete(pk)
    if ctx.config.hl7.acquire:  # simulated acquisition: the order's study
        for worklist_id in result.worklist_ids:
            schedule(ctx, worklist_id, f"accession={accession} (hl7 {source})")
    return result
