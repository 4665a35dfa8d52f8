"""HL7 v2 ADT: the patient changes a hospital sends, applied to the index and the worklist in
one transaction each (``storage.patients``), answered with an ACK as orders are.

- A08 (update patient information), A31 (update person information): the demographics of
  PID-3's patient (PID-5 name, PID-7 birth date, PID-8 sex, those present) replace the
  archive's.
- A40 (merge patient: identifier list), and its older spellings A34 (patient ID only), A35
  (account number only: the archive keeps no accounts, MRG-1 says whose) and A18 (merge
  patient information): every study and worklist item of MRG-1's patient moves to PID-3's;
  MRG-1's ID then answers nothing.
- A47 (change patient identifier list): MRG-1's patient takes PID-3's ID, which must be
  free (AE otherwise: that is a merge).

Stored files keep their bytes: the archive answers queries from the index, as a PACS does.
AE with an ERR segment for what cannot be applied (an unknown patient: 204, a merge into
itself or an ID taken: 205, a missing field: 101), and nothing changes.
"""

from __future__ import annotations

from typing import Any

from emulator.services.context import ServiceContext
from emulator.services.hl7_messages import SEX, HL7Error, OrderResult, date_time, field, has, person
from storage import patients
from storage.errors import PatientConflict, UnknownPatient
from storage.patients import PatientKey

UPDATES = ("A08", "A31")
MERGES = ("A40", "A34", "A35", "A18")
CHANGES = ("A47",)


def _demographics(msg: Any) -> dict[str, str]:
    """What the PID segment says of the patient (only the fields it has)."""
    values: dict[str, str] = {}
    name = person(msg, "PID", 5)
    if name:
        values["PatientName"] = name
    birth, _ = date_time(field(msg, "PID", 7))
    if birth:
        if not (len(birth) == 8 and birth.isdigit()):
            raise HL7Error(f"PID-7 {birth!r} is not a date (YYYYMMDD)", where="PID^1^7",
                           hl7_error=102)  # fmt: skip
        values["PatientBirthDate"] = birth
    sex = field(msg, "PID", 8).upper()
    if sex:
        values["PatientSex"] = SEX.get(sex, "O")
    return values


def _key(msg: Any, segment: str, what: str) -> PatientKey:
    patient_id = field(msg, segment, 3 if segment == "PID" else 1)
    if not patient_id:
        number = 3 if segment == "PID" else 1
        raise HL7Error(f"{segment}-{number} ({what}) is required", where=f"{segment}^1^{number}")
    issuer = field(msg, segment, 3 if segment == "PID" else 1, 4)
    return PatientKey(patient_id, issuer)


def apply(msg: Any, ctx: ServiceContext) -> OrderResult:
    """Apply one ADT message (parsed); HL7Error saying why it was not applied."""
    event = field(msg, "MSH", 9, 2).upper() or (field(msg, "EVN", 1).upper() if has(msg, "EVN")
                                                else "")  # fmt: skip
    if event not in (*UPDATES, *MERGES, *CHANGES):
        known = ", ".join((*UPDATES, *MERGES, *CHANGES))
        raise HL7Error(f"ADT event {event or '(none)'} is not one the archive applies ({known})",
                       "AR", "MSH^1^9", 201)  # fmt: skip
    key = _key(msg, "PID", "the patient ID")
    values = _demographics(msg)
    where = "PID^1^3"
    try:
        if event in UPDATES:
            if not values:
                raise HL7Error(f"{event} changes nothing: give PID-5, PID-7 or PID-8",
                               where="PID^1^5")  # fmt: skip
            change = ctx.index.change(lambda conn: patients.update(conn, key, values))
        else:
            if not has(msg, "MRG"):
                raise HL7Error(f"{event} needs an MRG segment with the prior patient ID",
                               where="MRG")  # fmt: skip
            old = _key(msg, "MRG", "the prior patient ID")
            where = "MRG^1^1"
            apply_change = patients.merge if event in MERGES else patients.change_id
            change = ctx.index.change(lambda conn: apply_change(conn, old, key, values))
    except UnknownPatient as exc:
        raise HL7Error(str(exc), where=where, hl7_error=204) from exc
    except PatientConflict as exc:
        raise HL7Error(str(exc), where=where, hl7_error=205) from exc
    detail = (
        f"patient={key} patients={change.patients} studies={change.studies}"
        f" worklist={change.worklist}"
    )
    return OrderResult("AA", "", control=event, detail=detail)
