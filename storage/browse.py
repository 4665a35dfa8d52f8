"""Browsing the archive for people and test code (the admin API): studies with their patient,
series and instances, filtered and paged. C-FIND matching stays in :mod:`storage.matching`."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from typing import Any

from storage.index import Index
from storage.locations import FABRICATED

# filter name → (SQL on the studies s / patients p join, how the value is written)
FILTERS = {
    "patient_id": "p.patient_id = ?",
    "patient_name": "p.patient_name_fold GLOB ?",
    "accession_number": "s.accession_number = ?",
    "study_uid": "s.study_uid = ?",
    "modality": "EXISTS (SELECT 1 FROM series x WHERE x.study_pk = s.pk AND x.modality = ?)",
    "study_date": "s.study_date BETWEEN ? AND ?",
}
_DATE = re.compile(r"^(\d{8})?(-)?(\d{8})?$")
_STUDY = (
    "SELECT s.pk, s.study_uid, s.study_date, s.study_time, s.accession_number,"
    " s.study_description, p.patient_id, p.patient_name,"
    " (SELECT COUNT(*) FROM series x WHERE x.study_pk = s.pk) AS series,"
    " (SELECT COUNT(*) FROM instances i WHERE i.study_pk = s.pk) AS instances,"
    " (SELECT group_concat(DISTINCT x.modality) FROM series x WHERE x.study_pk = s.pk)"
    " AS modalities,"
    f" (SELECT COUNT(*) FROM instances i WHERE i.study_pk = s.pk AND i.{FABRICATED})"
    " AS fabricated"
    " FROM studies s JOIN patients p ON p.pk = s.patient_pk"
)


def where(filters: Mapping[str, str]) -> tuple[str, list[str]]:
    """SQL conditions and parameters for *filters*.

    Raises
    ------
    ValueError
        For an unknown filter or a date that is not YYYYMMDD or a range of them.
    """
    conditions, params = [], []
    for name, value in filters.items():
        if name not in FILTERS:
            raise ValueError(f"unknown filter {name!r}; the filters are {', '.join(FILTERS)}")
        conditions.append(FILTERS[name])
        if name == "study_date":
            found = _DATE.match(value)
            if not value or found is None or (found[2] is None and found[3] is not None):
                raise ValueError(f"study_date is YYYYMMDD or a range YYYYMMDD-YYYYMMDD: {value!r}")
            low = found[1] or "00000000"
            high = found[3] or (found[1] if found[2] is None else "99999999")
            params += [low, high]
        elif name == "patient_name":
            params.append(value.casefold())  # * and ? as in C-FIND, case-insensitive
        else:
            params.append(value)
    return " AND ".join(conditions) or "1", params


def studies(
    index: Index, filters: Mapping[str, str], limit: int = 100, after: int = 0
) -> list[dict[str, Any]]:
    """A page of studies matching *filters*, in index order, each with its counts."""
    sql, params = where(filters)
    with index.reader() as conn:
        rows = conn.execute(
            f"{_STUDY} WHERE s.pk > ? AND {sql} ORDER BY s.pk LIMIT ?", (after, *params, limit)
        ).fetchall()
    return [_study(row) for row in rows]


def study(index: Index, study_uid: str) -> dict[str, Any] | None:
    """One study with its series and their instances, or None."""
    with index.reader() as conn:
        row = conn.execute(f"{_STUDY} WHERE s.study_uid = ?", (study_uid,)).fetchone()
        if row is None:
            return None
        series = conn.execute(
            "SELECT pk, series_uid, modality, series_number, series_description FROM series"
            " WHERE study_pk = ? ORDER BY series_number, pk",
            (row["pk"],),
        ).fetchall()
        instances = conn.execute(
            "SELECT series_pk, sop_instance_uid, sop_class_uid, instance_number,"
            " transfer_syntax_uid, size, source_ae, recipe_pk FROM instances WHERE study_pk = ?"
            " ORDER BY instance_number, pk",
            (row["pk"],),
        ).fetchall()
    out = _study(row)
    out["series"] = [
        {
            "series_uid": s["series_uid"],
            "modality": s["modality"],
            "series_number": s["series_number"],
            "series_description": s["series_description"],
            "instances": [_instance(i) for i in instances if i["series_pk"] == s["pk"]],
        }
        for s in series
    ]
    return out


def _study(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["pk"],
        "study_uid": row["study_uid"],
        "patient_id": row["patient_id"],
        "patient_name": row["patient_name"],
        "study_date": row["study_date"],
        "study_time": row["study_time"],
        "accession_number": row["accession_number"],
        "study_description": row["study_description"],
        "modalities": sorted((row["modalities"] or "").split(",")) if row["modalities"] else [],
        "series_count": row["series"],
        "instance_count": row["instances"],
        "fabricated": row["fabricated"],
    }


def _instance(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "sop_instance_uid": row["sop_instance_uid"],
        "sop_class_uid": row["sop_class_uid"],
        "instance_number": row["instance_number"],
        "transfer_syntax_uid": row["transfer_syntax_uid"],
        "size": row["size"],
        "source": "received" if row["recipe_pk"] is None else "fabricated",
        "source_ae": row["source_ae"],
    }
