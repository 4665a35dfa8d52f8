"""Modality Worklist items (PS3.4 Annex K) in the index: stored, matched in SQL, projected.

One row per Scheduled Procedure Step: an item with several steps becomes one row per step, each
holding the item with just that step, which is how an MWL SCP answers (one response per step).
Matching keys (``storage.attributes.WORKLIST_ATTRIBUTES`` and ``SPS_ATTRIBUTES``) are columns;
the item itself is kept as DICOM JSON (PS3.18 Annex F) and returned key by key.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from storage.attributes import SPS_ATTRIBUTES, WORKLIST_ATTRIBUTES, Attribute
from storage.conditions import (
    Condition,
    MatchOptions,
    bounds,
    condition,
    date_range,
    time_range,
)
from storage.database import ArchiveDatabase
from storage.errors import InvalidIdentifier, InvalidInstance
from storage.records import attribute_columns, text
from storage.uids import uid_problem
from storage.values import da_norm, dt_norm, utc_now

SPS_SEQUENCE = "ScheduledProcedureStepSequence"
STATES = ("SCHEDULED", "IN PROGRESS", "COMPLETED", "DISCONTINUED")
FINAL_STATES = ("COMPLETED", "DISCONTINUED")
_SPS_TAG = 0x00400100  # Scheduled Procedure Step Sequence
_SPS_KEY, _STATUS_KEY = "00400100", "00400020"  # ... and its Status, as DICOM JSON keys


@dataclass(frozen=True, slots=True)
class WorklistItem:
    """One stored worklist row."""

    pk: int
    state: str
    source: str
    item: Dataset
    created_at: str
    updated_at: str

    def summary(self) -> dict[str, Any]:
        """The row as JSON-ready values, with the item as DICOM JSON."""
        return {
            "id": self.pk,
            "state": self.state,
            "source": self.source,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "item": self.item.to_json_dict(),
        }


def split_steps(item: Dataset) -> list[Dataset]:
    """*item* as one item per Scheduled Procedure Step, each holding only that step.

    Raises
    ------
    InvalidInstance
        If the item has no Scheduled Procedure Step Sequence item, or a UID is malformed.
    """
    steps = list(item.get(SPS_SEQUENCE) or [])
    if not steps:
        raise InvalidInstance(
            f"a worklist item needs a {SPS_SEQUENCE} with at least one item", tag=_SPS_TAG
        )
    uid = text(item.get("StudyInstanceUID"))
    if uid and uid_problem(uid):
        raise InvalidInstance(f"StudyInstanceUID {uid_problem(uid)}", tag=0x0020000D)
    out = []
    for step in steps:
        one = deepcopy(item)
        one[_SPS_TAG].value = Sequence([deepcopy(step)])
        out.append(one)
    return out


def worklist_columns(item: Dataset) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    step = item[_SPS_TAG].value[0]
    for attribute in WORKLIST_ATTRIBUTES:
        columns.update(attribute_columns(attribute, item.get(attribute.keyword)))
    for attribute in SPS_ATTRIBUTES:
        columns.update(attribute_columns(attribute, step.get(attribute.keyword)))
    date = da_norm(text(step.get("ScheduledProcedureStepStartDate")))
    time = text(step.get("ScheduledProcedureStepStartTime"))
    columns["sps_start_dt_n"] = dt_norm(date + time) if date else ""
    charset = item.get("SpecificCharacterSet", "")
    columns["charset"] = "\\".join(charset) if isinstance(charset, list) else str(charset)
    return columns


class Worklist:
    """The worklist rows of an index. Thread-safe (through the index's connections)."""

    def __init__(self, database: ArchiveDatabase) -> None:
        self.database = database

    def add(self, item: Dataset, source: str) -> list[int]:
        """Store *item* (one row per step); returns the new rows' ids.

        A missing Study Instance UID or Scheduled Procedure Step ID is generated, so that
        images and procedure steps can refer to the item.

        Raises
        ------
        InvalidInstance
            Naming what is missing or malformed.
        """
        item = deepcopy(item)
        if not text(item.get("StudyInstanceUID")):
            item.StudyInstanceUID = f"2.25.{uuid.uuid4().int}"
        ids = []
        now = utc_now()
        with self.database.writer() as conn:
            for n, one in enumerate(split_steps(item), start=1):
                step = one[_SPS_TAG].value[0]
                if not text(step.get("ScheduledProcedureStepID")):
                    step.ScheduledProcedureStepID = f"SPS{uuid.uuid4().int % 10**10:010d}{n}"
                state = text(step.get("ScheduledProcedureStepStatus")) or "SCHEDULED"
                if state not in STATES:
                    state = "SCHEDULED"
                values = {
                    **worklist_columns(one),
                    "item": json.dumps(one.to_json_dict(), ensure_ascii=False),
                    "state": state,
                    "source": source,
                    "created_at": now,
                    "updated_at": now,
                }
                names = ", ".join(values)
                marks = ", ".join("?" for _ in values)
                cursor = conn.execute(
                    f"INSERT INTO worklist ({names}) VALUES ({marks})", list(values.values())
                )
                ids.append(int(cursor.lastrowid or 0))
        return ids

    def get(self, pk: int) -> WorklistItem | None:
        with self.database.reader() as conn:
            row = conn.execute(_SELECT + " WHERE w.pk = ?", (pk,)).fetchone()
        return _item(row) if row is not None else None

    def items(self, limit: int = 100, after: int = 0) -> list[WorklistItem]:
        """Rows in id order, *limit* at a time after id *after*."""
        with self.database.reader() as conn:
            rows = conn.execute(
                _SELECT + " WHERE w.pk > ? ORDER BY w.pk LIMIT ?", (after, limit)
            ).fetchall()
        return [_item(row) for row in rows]

    def delete(self, pk: int) -> bool:
        with self.database.writer() as conn:
            return conn.execute("DELETE FROM worklist WHERE pk = ?", (pk,)).rowcount > 0

    def of_accession(self, accession: str) -> list[tuple[int, str]]:
        """(id, Study Instance UID) of every step of the order with *accession*."""
        with self.database.reader() as conn:
            rows = conn.execute(
                "SELECT pk, study_uid FROM worklist WHERE accession_number = ? ORDER BY pk",
                (accession,),
            ).fetchall()
        return [(int(row[0]), str(row[1])) for row in rows]

    def clear(self) -> int:
        with self.database.writer() as conn:
            return conn.execute("DELETE FROM worklist").rowcount

    def count(self) -> int:
        with self.database.reader() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM worklist").fetchone()[0])

    def set_state(self, study_uid: str, sps_id: str, accession: str, state: str) -> int:
        """Move the steps a procedure step names (by Study Instance UID and step ID, or by
        accession number) to *state*; returns how many rows changed.

        The step's Scheduled Procedure Step Status (in the item and its column) follows, so a
        worklist query sees and matches it.
        """
        if state not in STATES:
            raise ValueError(f"unknown worklist state {state!r}")
        where, params = [], []
        if study_uid and sps_id:
            where.append("(w.study_uid = ? AND w.sps_id = ?)")
            params += [study_uid, sps_id]
        elif study_uid:
            where.append("w.study_uid = ?")
            params.append(study_uid)
        elif accession:
            where.append("w.accession_number = ?")
            params.append(accession)
        if not where:
            return 0
        status = json.dumps({"vr": "CS", "Value": [state]})
        with self.database.writer() as conn:
            return conn.execute(
                "UPDATE worklist AS w SET state = ?, sps_status = ?, updated_at = ?,"
                f' item = json_set(item, \'$."{_SPS_KEY}".Value[0]."{_STATUS_KEY}"\', json(?))'
                f" WHERE {where[0]}",
                [state, state, utc_now(), status, *params],
            ).rowcount

    def find(
        self, identifier: Dataset, options: MatchOptions, hide_final: bool, page_size: int = 100
    ) -> Iterator[WorklistItem]:
        """The items *identifier* matches (PS3.4 K.2.2.1), a page at a time.

        Raises
        ------
        InvalidIdentifier
            If a matching key is malformed or the step sequence has more than one item.
        """
        where, params = _conditions(identifier, options)
        if hide_final:
            where.append(f"w.state NOT IN ({', '.join('?' for _ in FINAL_STATES)})")
            params.extend(FINAL_STATES)
        sql = _SELECT + f" WHERE {' AND '.join([*where, 'w.pk > ?'])} ORDER BY w.pk LIMIT ?"
        after = 0
        while True:
            with self.database.reader() as conn:
                rows = conn.execute(sql, (*params, after, page_size)).fetchall()
            for row in rows:
                yield _item(row)
            if len(rows) < page_size:
                return
            after = rows[-1]["pk"]


_SELECT = "SELECT w.pk, w.state, w.source, w.item, w.created_at, w.updated_at FROM worklist w"


def _item(row: sqlite3.Row) -> WorklistItem:
    item = Dataset.from_json(row["item"])
    return WorklistItem(
        row["pk"], row["state"], row["source"], item, row["created_at"], row["updated_at"]
    )


def _conditions(identifier: Dataset, options: MatchOptions) -> tuple[list[str], list[Any]]:
    where: list[str] = ["1"]
    params: list[Any] = []

    def add(attribute: Attribute, value: Any) -> None:
        cond = condition(attribute, value, options)
        if cond is not None:
            where.append(cond[0])
            params.extend(cond[1])

    for attribute in WORKLIST_ATTRIBUTES:
        if attribute.keyword in identifier:
            add(attribute, identifier[attribute.keyword].value)
    steps = list(identifier.get(SPS_SEQUENCE) or [])
    if len(steps) > 1:
        raise InvalidIdentifier(f"{SPS_SEQUENCE}: a query sequence holds at most one item")
    if steps:
        step = steps[0]
        date = text(step.get("ScheduledProcedureStepStartDate"))
        time = text(step.get("ScheduledProcedureStepStartTime"))
        paired = date not in ("", "*") and time not in ("", "*")
        for attribute in SPS_ATTRIBUTES:
            if attribute.keyword in step:
                if paired and attribute.kind in ("da", "tm"):
                    continue
                add(attribute, step[attribute.keyword].value)
        if paired:
            cond = _date_time(date, time)
            where.append(cond[0])
            params.extend(cond[1])
    return where, params


def _date_time(date: str, time: str) -> Condition:
    """Combined date and time range matching of the step's start (PS3.4 C.2.2.2.5.1)."""
    d_low, d_dash, d_high = date.partition("-")
    t_low, t_dash, t_high = time.partition("-")
    if not d_dash:
        d_high = d_low
    if not t_dash:
        t_high = t_low
    date_range("w.sps_start_date", date, "ScheduledProcedureStepStartDate")  # validates
    time_range("w.sps_start_time_n", time, "ScheduledProcedureStepStartTime", datetime=False)
    low = dt_norm(da_norm(d_low) + t_low.replace(":", "")) if d_low else ""
    high = dt_norm(da_norm(d_high) + t_high.replace(":", ""), upper=True) if d_high else ""
    cond = bounds("w.sps_start_dt_n", low, high)
    assert cond is not None  # the date is not universal, so one bound is set
    return cond
