"""HL7 v2 messages as the emulator reads and answers them: parsing (python-hl7's), field
access by HL7's 1-based numbers, the person and time data types as DICOM has them, and the
ACK (MSA, and for AE and AR an ERR segment with the location and the HL7 table 0357 code)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import hl7  # type: ignore[import-untyped]


class HL7Error(Exception):
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
    worklist_ids: list[int] = dataclass_field(default_factory=list)
    removed: int = 0
    detail: str = ""


def field(msg: Any, segment: str, number: int, component: int = 1, repetition: int = 1) -> str:
    """A component of a field, '' if absent (python-hl7 numbers from 1 like HL7 does)."""
    try:
        return str(msg.extract_field(segment, 1, number, repetition, component)).strip()
    except (KeyError, IndexError):
        return ""


def has(msg: Any, segment: str) -> bool:
    try:
        msg.segment(segment)
    except KeyError:
        return False
    return True


def person(msg: Any, segment: str, number: int, offset: int = 0) -> str:
    """An HL7 XPN (or XCN from *offset* 1: an ID first) as a DICOM PN: family^given^middle
    ^prefix^suffix (HL7 orders suffix before prefix)."""
    parts = [field(msg, segment, number, offset + n) for n in (1, 2, 3, 5, 4)]
    while parts and not parts[-1]:
        parts.pop()
    return "^".join(parts)


def date_time(value: str) -> tuple[str, str]:
    """YYYYMMDD and HHMMSS of an HL7 TS (offset and fractions dropped)."""
    value = value.split("+")[0].split("-")[0]
    return value[:8], value[8:14]


SEX = {"M": "M", "F": "F", "O": "O", "U": "O", "A": "O", "N": "O"}  # HL7 0001 → DICOM

MSH_FIELDS = 12  # "MSH" and MSH-1 (the separator) to MSH-12, split on the separator


def parse(text: str) -> Any:
    """The message, or HL7Error (AR) saying why it cannot be read."""
    text = text.replace("\r\n", "\r").replace("\n", "\r").strip("\x0b\x1c\r ")
    if not text.startswith("MSH"):
        raise HL7Error("the message does not start with an MSH segment", "AR", "MSH", 100)
    header = text.split("\r", 1)[0]
    if len(header) < 8 or len(header.split(header[3])) < MSH_FIELDS:
        raise HL7Error(
            "the MSH segment is too short: it needs its fields up to MSH-12 (message type"
            " MSH-9, control ID MSH-10, version MSH-12)",
            "AR",
            "MSH",
            101,
        )
    try:
        return hl7.parse(text)
    except Exception as exc:  # python-hl7 raises a few kinds on malformed text
        raise HL7Error(
            "the message cannot be parsed as HL7 v2: segments separated by carriage returns,"
            " fields by MSH-1, components by the first character of MSH-2",
            "AR",
            "MSH",
            100,
        ) from exc


def ack(msg: Any, code: str, error: HL7Error | None) -> str:
    """The ACK of *msg* (python-hl7 writes its MSH): MSA with *code*, and for AE and AR the
    reason (MSA-3) and an ERR segment with its location and HL7 error code."""
    try:
        made = msg.create_ack(code, application="FABRICATOR", facility="FABRICATOR")
    except Exception:  # an MSH python-hl7 cannot answer (parse() keeps most away)
        return bare_ack(str(msg), error or HL7Error("", code))
    return _segments(str(made.segment("MSH")), code, field(msg, "MSH", 10), error)


def bare_ack(text: str, error: HL7Error) -> str:
    """An ACK for a message too broken for python-hl7: what can be read of its MSH."""
    fields = text.strip("\x0b\x1c\r\n ").split("\r")[0].split("|")
    control_id = fields[9] if fields[0] == "MSH" and len(fields) > 9 else ""
    msh = f"MSH|^~\\&|FABRICATOR|FABRICATOR||||||ACK|{uuid.uuid4().hex[:20]}|P|2.5"
    return _segments(msh, "AR", control_id, error)


def _segments(msh: str, code: str, control_id: str, error: HL7Error | None) -> str:
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
    201: "Unsupported event code",
    204: "Unknown key identifier",
    205: "Duplicate key identifier",
    207: "Application internal error",
}
