"""HL7 v2 orders (ORM^O01, OMI^O23) to worklist items, answered with an HL7 ACK.

Parsing is python-hl7's; this module maps fields to DICOM attributes (the README has the table)
and applies the order control: NW creates worklist items, CA removes them, XO replaces them,
each found again by accession number. Every answer is an ACK: AA, AE (the order is wrong: an
ERR segment says where and why) or AR (the message cannot be processed here).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import hl7  # type: ignore[import-untyped]
from pydicom.dataset import Dataset

from emulator.errors import InvalidWorklistItem, is_expected
from emulator.services.context import ServiceContext
from storage.uids import uid_problem

log = logging.getLogger(__name__)

MESSAGE_TYPES = {("ORM", "O01"), ("OMI", "O23")}
ORDER_CONTROLS = ("NW", "CA", "XO")
_SEX = {"M": "M", "F": "F", "O": "O", "U": "O", "A": "O", "N": "O"}


class OrderError(Exception):
    """An order refused: *code* AE (content) or AR (message), *where* (``PID-3``), *hl7_error*
    (HL7 table 0357: 101 required field missing, 102 data type error, 200 unsupported message
    type, 201 unsupported event code, 203 unsupported version, 204 unknown key identifier)."""

    def __init__(self, message: str, code: str = "AE", where: str = "", hl7_error: int = 101):
        super().__init__(message)
        self.code, self.where, self.hl7_error = code, where, hl7_error


@dataclass
class OrderResult:
    """What one message did, and the ACK that says so."""

    ack_code: str
    ack: str
    control: str = ""
    accession: str = ""
    worklist_ids: list[int] = field(default_factory=list)
    removed: int = 0
    detail: str = ""


def _field(msg: Any, segment: str, number: int, component: int = 1, repetition: int = 1) -> str:
    """A component of a field, '' if absent (python-hl7 numbers from 1 like HL7 does)."""
    try:
        return str(msg.extract_field(segment, 1, number, repetition, component)).strip()
    except (KeyError, IndexError):
        return ""


def _has(msg: Any, segment: str) -> bool:
    try:
        msg.segment(segment)
    except KeyError:
        return False
    return True


def _person(msg: Any, segment: str, number: int, offset: int = 0) -> str:
    """An HL7 XPN (or XCN from *offset* 1: an ID first) as a DICOM PN: family^given^middle
    ^prefix^suffix (HL7 orders suffix before prefix)."""
    parts = [_field(msg, segment, number, offset + n) for n in (1, 2, 3, 5, 4)]
    while parts and not parts[-1]:
        parts.pop()
    return "^".join(parts)


def _date_time(value: str) -> tuple[str, str]:
    """YYYYMMDD and HHMMSS of an HL7 TS (offset and fractions dropped)."""
    value = value.split("+")[0].split("-")[0]
    return value[:8], value[8:14]


def _code(value: str, meaning: str, scheme: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme or "L"
    item.CodeMeaning = meaning or value
    return item


MSH_FIELDS = 12  # "MSH" and MSH-1 (the separator) to MSH-12, split on the separator


def parse(text: str) -> Any:
    """The message, or OrderError (AR) saying why it cannot be read."""
    text = text.replace("\r\n", "\r").replace("\n", "\r").strip("\x0b\x1c\r ")
    if not text.startswith("MSH"):
        raise OrderError("the message does not start with an MSH segment", "AR", "MSH", 100)
    header = text.split("\r", 1)[0]
    if len(header) < 8 or len(header.split(header[3])) < MSH_FIELDS:
        raise OrderError(
            "the MSH segment is too short: it needs its fields up to MSH-12 (message type"
            " MSH-9, control ID MSH-10, version MSH-12)",
            "AR",
            "MSH",
            101,
        )
    try:
        return hl7.parse(text)
    except Exception as exc:  # python-hl7 raises a few kinds on malformed text
        raise OrderError(
            "the message cannot be parsed as HL7 v2: segments separated by carriage returns,"
            " fields by MSH-1, components by the first character of MSH-2",
            "AR",
            "MSH",
            100,
        ) from exc


def to_item(msg: Any) -> Dataset:
    """The worklist item an order describes (see the README's mapping table).

    Raises
    ------
    OrderError
        Naming the field that is missing or malformed.
    """
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    patient_id = _field(msg, "PID", 3)
    if not patient_id:
        raise OrderError("PID-3 (patient ID) is required", where="PID^1^3")
    ds.PatientID = patient_id
    issuer = _field(msg, "PID", 3, 4)
    if issuer:
        ds.IssuerOfPatientID = issuer
    ds.PatientName = _person(msg, "PID", 5)
    birth, _ = _date_time(_field(msg, "PID", 7))
    ds.PatientBirthDate = birth
    ds.PatientSex = _SEX.get(_field(msg, "PID", 8).upper(), "")
    if _has(msg, "PV1"):
        ds.ReferringPhysicianName = _person(msg, "PV1", 8, offset=1)
        visit = _field(msg, "PV1", 19)
        if visit:
            ds.AdmissionID = visit
    placer, filler = _field(msg, "ORC", 2), _field(msg, "ORC", 3)
    if placer:
        ds.PlacerOrderNumberImagingServiceRequest = placer
    if filler:
        ds.FillerOrderNumberImagingServiceRequest = filler
    if not _has(msg, "OBR"):
        raise OrderError("an OBR segment is required", where="OBR")
    ipc = _has(msg, "IPC")  # OMI^O23 (IHE RAD-4 in HL7 v2.5.1)
    accession = (_field(msg, "IPC", 1) if ipc else "") or _field(msg, "OBR", 18) or filler
    if not accession:
        raise OrderError(
            "an accession number is required (OBR-18, IPC-1 or ORC-3)", where="OBR^1^18"
        )
    ds.AccessionNumber = accession[:16]
    service, meaning, scheme = (_field(msg, "OBR", 4, n) for n in (1, 2, 3))
    if service:
        ds.RequestedProcedureCodeSequence = [_code(service, meaning, scheme)]
    ds.RequestedProcedureDescription = meaning or service
    ds.RequestedProcedureID = (_field(msg, "IPC", 2) if ipc else "") or _field(msg, "OBR", 19)
    ds.RequestedProcedureID = ds.RequestedProcedureID or accession[:16]
    study = (_field(msg, "IPC", 3) if ipc else "") or (
        _field(msg, "ZDS", 1) if _has(msg, "ZDS") else ""
    )
    if study:
        if uid_problem(study):
            raise OrderError(
                f"Study Instance UID {uid_problem(study)}", where="ZDS^1^1", hl7_error=102
            )
        ds.StudyInstanceUID = study
    step = Dataset()
    step.ScheduledProcedureStepID = (_field(msg, "IPC", 4) if ipc else "") or _field(msg, "OBR", 20)
    step.Modality = ((_field(msg, "IPC", 5) if ipc else "") or _field(msg, "OBR", 24)).upper()
    step.ScheduledStationAETitle = (_field(msg, "IPC", 9) if ipc else "") or _field(msg, "OBR", 21)
    start = (_field(msg, "TQ1", 7) if _has(msg, "TQ1") else "") or _field(msg, "OBR", 27, 4)
    start = start or _field(msg, "OBR", 7)
    step.ScheduledProcedureStepStartDate, step.ScheduledProcedureStepStartTime = _date_time(start)
    step.ScheduledPerformingPhysicianName = _person(msg, "OBR", 34, offset=1)
    step.ScheduledProcedureStepDescription = meaning or service
    step.ScheduledProcedureStepStatus = "SCHEDULED"
    ds.ScheduledProcedureStepSequence = [step]
    return ds


def apply(text: str, ctx: ServiceContext, source: str) -> OrderResult:
    """Read one HL7 message, apply its order, and build the ACK (never raises)."""
    try:
        msg = parse(text)
    except OrderError as exc:
        return OrderResult("AR", _bare_ack(text, exc), detail=str(exc))
    try:
        result = _apply(msg, ctx, source)
    except OrderError as exc:
        log.info("hl7 %s: %s %s", source, exc.code, exc)
        return OrderResult(exc.code, _ack(msg, exc.code, exc), detail=str(exc))
    except InvalidWorklistItem as exc:
        error = OrderError(str(exc))
        return OrderResult("AE", _ack(msg, "AE", error), detail=str(exc))
    except Exception as exc:  # the archive failed: the sender may retry
        if is_expected(exc):  # a full or failing disk: one line
            log.warning("hl7 %s: order not applied: %s", source, exc)
        else:
            log.exception("hl7 %s: internal error", source)
        error = OrderError(f"internal error: {exc}", "AR", hl7_error=207)
        return OrderResult("AR", _ack(msg, "AR", error), detail=str(error))
    result.ack = _ack(msg, "AA", None)
    log.info(
        "hl7 %s: %s accession=%s added=%d removed=%d",
        source,
        result.control,
        result.accession,
        len(result.worklist_ids),
        result.removed,
    )
    return result


def _apply(msg: Any, ctx: ServiceContext, source: str) -> OrderResult:
    kind = (_field(msg, "MSH", 9, 1), _field(msg, "MSH", 9, 2))
    if kind not in MESSAGE_TYPES:
        shown = "^".join(kind)
        raise OrderError(
            f"message type {shown} is not an order (ORM^O01, OMI^O23)", "AR", "MSH^1^9", 200
        )
    control = _field(msg, "ORC", 1).upper()
    if control not in ORDER_CONTROLS:
        raise OrderError(
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
        raise OrderError(unknown, where="OBR^1^18", hl7_error=204)
    if control != "CA":
        if "StudyInstanceUID" not in item:  # a changed order keeps its study
            item.StudyInstanceUID = old[0][1] if old else f"2.25.{uuid.uuid4().int}"
        result.worklist_ids = ctx.worklist.add(item, source)  # first: a failure loses nothing
    for pk, _ in old:
        result.removed += ctx.worklist.delete(pk)
    return result


def _ack(msg: Any, code: str, error: OrderError | None) -> str:
    """The ACK of *msg* (python-hl7 writes its MSH): MSA with *code*, and for AE and AR the
    reason (MSA-3) and an ERR segment with its location and HL7 error code."""
    try:
        ack = msg.create_ack(code, application="FABRICATOR", facility="FABRICATOR")
    except Exception:  # an MSH python-hl7 cannot answer (parse() keeps most away)
        return _bare_ack(str(msg), error or OrderError("", code))
    return _segments(str(ack.segment("MSH")), code, _field(msg, "MSH", 10), error)


def _bare_ack(text: str, error: OrderError) -> str:
    """An ACK for a message too broken for python-hl7: what can be read of its MSH."""
    fields = text.strip("\x0b\x1c\r\n ").split("\r")[0].split("|")
    control_id = fields[9] if fields[0] == "MSH" and len(fields) > 9 else ""
    msh = f"MSH|^~\\&|FABRICATOR|FABRICATOR||||||ACK|{uuid.uuid4().hex[:20]}|P|2.5"
    return _segments(msh, "AR", control_id, error)


def _segments(msh: str, code: str, control_id: str, error: OrderError | None) -> str:
    if error is None:
        return f"{msh}\rMSA|{code}|{control_id}\r"
    reason = str(error).replace("|", "/").replace("^", "/").replace("&", "/").replace("~", "/")
    meaning = _ERRORS.get(error.hl7_error, "")
    return (
        f"{msh}\rMSA|{code}|{control_id}|{reason}\r"
        f"ERR||{error.where}|{error.hl7_error}^{meaning}^HL70357|E||||{reason}\r"
    )


_ERRORS = {  # HL7 table 0357, message error condition codes
    100: "Segment sequence error",
    101: "Required field missing",
    102: "Data type error",
    103: "Table value not found",
    200: "Unsupported message type",
    204: "Unknown key identifier",
    207: "Application internal error",
}
