"""Patient changes, as a hospital's ADT feed sends them: corrected demographics, a patient
merged into another, a patient ID changed. Each is one transaction over the index (the
patient row, and the patient attributes each study row keeps) and the worklist (the items of
that patient). Stored files keep their bytes: the archive answers queries from the index."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset

from storage.attributes import BY_KEYWORD
from storage.errors import PatientConflict, UnknownPatient
from storage.records import attribute_columns
from storage.values import utc_now
from storage.worklist import worklist_columns

DEMOGRAPHICS = ("PatientName", "PatientBirthDate", "PatientSex")


@dataclass(frozen=True, slots=True)
class PatientKey:
    """A patient as the index knows one: ID and issuer (empty: any issuer, if only one)."""

    patient_id: str
    issuer: str = ""

    def __str__(self) -> str:
        return f"{self.patient_id}^^^{self.issuer}" if self.issuer else self.patient_id


@dataclass(frozen=True, slots=True)
class PatientChange:
    """What a change touched: patient rows, studies moved, worklist items."""

    patients: int = 0
    studies: int = 0
    worklist: int = 0


def _patient_pk(conn: sqlite3.Connection, key: PatientKey) -> int | None:
    sql = "SELECT pk FROM patients WHERE patient_id = ?"
    params: tuple[str, ...] = (key.patient_id,)
    if key.issuer:
        sql, params = sql + " AND issuer_of_patient_id = ?", (*params, key.issuer)
    rows = conn.execute(sql, params).fetchall()
    if len(rows) > 1:
        raise PatientConflict(
            f"patient ID {key.patient_id} names {len(rows)} patients of different issuers:"
            " give the issuer (PID-3 component 4)"
        )
    return int(rows[0][0]) if rows else None


def _patient_columns(values: dict[str, str]) -> dict[str, Any]:
    """The patients row's columns for *values* (keywords), its character set UTF-8 if any
    value needs it (the message's text is Unicode)."""
    columns: dict[str, Any] = {}
    for keyword, value in values.items():
        columns.update(attribute_columns(BY_KEYWORD[keyword], value))
    if any(ord(c) > 127 for v in values.values() for c in v):
        columns["charset"] = "ISO_IR 192"
    return columns


def _set(conn: sqlite3.Connection, table: str, columns: dict[str, Any], where: str,
         params: tuple[Any, ...]) -> int:  # fmt: skip
    if not columns:
        return 0
    assignments = ", ".join(f"{name} = ?" for name in columns)
    cursor = conn.execute(
        f"UPDATE {table} SET {assignments}, updated_at = ? WHERE {where}",
        (*columns.values(), utc_now(), *params),
    )
    return cursor.rowcount


def _worklist(conn: sqlite3.Connection, key: PatientKey, values: dict[str, str]) -> int:
    """Set *values* (keywords) in the worklist items of *key*, their columns recomputed."""
    sql = "SELECT pk, item FROM worklist WHERE patient_id = ?"
    rows = conn.execute(sql, (key.patient_id,)).fetchall()
    changed = 0
    for pk, stored in rows:
        item = Dataset.from_json(json.loads(stored))
        if key.issuer and str(item.get("IssuerOfPatientID", "")) not in ("", key.issuer):
            continue
        for keyword, value in values.items():
            setattr(item, keyword, value)
        if any(ord(c) > 127 for v in values.values() for c in v):
            item.SpecificCharacterSet = "ISO_IR 192"  # the new values are text, any script
        item_json = json.dumps(item.to_json_dict(), ensure_ascii=False)
        columns = {**worklist_columns(item), "item": item_json}
        changed += _set(conn, "worklist", columns, "pk = ?", (pk,))
    return changed


def update(conn: sqlite3.Connection, key: PatientKey, values: dict[str, str]) -> PatientChange:
    """Demographics of *key* (``DEMOGRAPHICS`` keywords) set in the index and worklist."""
    pk = _patient_pk(conn, key)
    patients = _set(conn, "patients", _patient_columns(values), "pk = ?", (pk,)) if pk else 0
    items = _worklist(conn, key, values)
    if pk is None and not items:
        raise UnknownPatient(f"no patient with ID {key} in the archive or the worklist")
    studies = conn.execute("SELECT COUNT(*) FROM studies WHERE patient_pk = ?", (pk,)).fetchone()
    return PatientChange(patients, int(studies[0]), items)


def merge(conn: sqlite3.Connection, old: PatientKey, into: PatientKey,
          values: dict[str, str]) -> PatientChange:  # fmt: skip
    """Every study and worklist item of *old* moved to *into* (made by renaming *old* if the
    archive has no *into* yet); *old* then names no one. *values*: the surviving patient's
    demographics, as the message gives them."""
    if old.patient_id == into.patient_id and old.issuer == into.issuer:
        raise PatientConflict(f"patient {old} cannot be merged into itself")
    old_pk, new_pk = _patient_pk(conn, old), _patient_pk(conn, into)
    if old_pk is not None and old_pk == new_pk:  # one ID with and without its issuer
        raise PatientConflict(f"patients {old} and {into} are the same patient here")
    identity = {"PatientID": into.patient_id, **({"IssuerOfPatientID": into.issuer}
                                                 if into.issuer else {})}  # fmt: skip
    items = _worklist(conn, old, {**identity, **values})
    if old_pk is None:
        if not items:
            raise UnknownPatient(f"no patient with ID {old} in the archive or the worklist")
        return PatientChange(worklist=items)
    moved = int(conn.execute("SELECT COUNT(*) FROM studies WHERE patient_pk = ?",
                             (old_pk,)).fetchone()[0])  # fmt: skip
    if new_pk is None:  # nothing to merge with: the old patient takes the new ID
        _set(conn, "patients", _patient_columns(identity), "pk = ?", (old_pk,))
        new_pk = old_pk
    else:
        for table in ("studies", "series", "instances"):
            conn.execute(f"UPDATE {table} SET patient_pk = ? WHERE patient_pk = ?",
                         (new_pk, old_pk))  # fmt: skip
        conn.execute("DELETE FROM patients WHERE pk = ?", (old_pk,))
    if values:
        _set(conn, "patients", _patient_columns(values), "pk = ?", (new_pk,))
    return PatientChange(1, moved, items)


def change_id(conn: sqlite3.Connection, old: PatientKey, new: PatientKey,
              values: dict[str, str]) -> PatientChange:  # fmt: skip
    """*old*'s ID (and issuer) changed to *new*'s, which must be free (a merge is A40's)."""
    if _patient_pk(conn, new) is not None:
        raise PatientConflict(
            f"patient ID {new} is already another patient's: merging two patients is an"
            " ADT^A40 (MRG-1 the old ID), not a change of identifier"
        )
    return merge(conn, old, new, values)


def current(conn: sqlite3.Connection, sop_instance_uid: str) -> dict[str, str] | None:
    """The patient of instance *sop_instance_uid* as the index has it now (after any ADT
    change): name, ID, issuer, birth date and sex by keyword; None if it is not indexed."""
    row = conn.execute(
        "SELECT p.patient_name, p.patient_id, p.issuer_of_patient_id, p.patient_birth_date,"
        " p.patient_sex FROM instances i JOIN patients p ON p.pk = i.patient_pk"
        " WHERE i.sop_instance_uid = ?",
        (sop_instance_uid,),
    ).fetchone()
    if row is None:
        return None
    keywords = ("PatientName", "PatientID", "IssuerOfPatientID", "PatientBirthDate", "PatientSex")
    return {keyword: str(value or "") for keyword, value in zip(keywords, row, strict=True)}
