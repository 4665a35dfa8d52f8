"""Modality Performed Procedure Steps (PS3.4 Annex F) in the index.

Only persistence: the rules of the state machine (which status may follow which, what a final
state needs) are the MPPS service's (``emulator/services/mpps.py``).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset

from storage.database import ArchiveDatabase
from storage.errors import StorageError
from storage.records import text
from storage.values import utc_now


class DuplicateStep(StorageError):
    """A procedure step with this SOP Instance UID exists already."""


class NoSuchStep(StorageError):
    """No procedure step has this SOP Instance UID."""


@dataclass(frozen=True, slots=True)
class ProcedureStep:
    """One stored procedure step."""

    sop_instance_uid: str
    status: str
    attributes: Dataset
    calling_ae: str
    created_at: str
    updated_at: str

    def summary(self) -> dict[str, Any]:
        """The step as JSON-ready values, its attributes as DICOM JSON."""
        return {
            "sop_instance_uid": self.sop_instance_uid,
            "status": self.status,
            "calling_ae": self.calling_ae,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "attributes": self.attributes.to_json_dict(),
        }


def scheduled_links(attributes: Dataset) -> list[tuple[str, str, str]]:
    """(Study Instance UID, Scheduled Procedure Step ID, Accession Number) of each item of
    the step's Scheduled Step Attributes Sequence: what ties it to worklist items."""
    return [
        (
            text(item.get("StudyInstanceUID")),
            text(item.get("ScheduledProcedureStepID")),
            text(item.get("AccessionNumber")),
        )
        for item in attributes.get("ScheduledStepAttributesSequence") or []
    ]


class ProcedureSteps:
    """The procedure steps of an index. Thread-safe (through the index's connections)."""

    def __init__(self, database: ArchiveDatabase) -> None:
        self.database = database

    def clear(self) -> int:
        """Remove every row; how many there were."""
        with self.database.writer() as conn:
            return int(conn.execute("DELETE FROM procedure_steps").rowcount)

    def create(self, uid: str, attributes: Dataset, calling_ae: str) -> ProcedureStep:
        """Store a new step.

        Raises
        ------
        DuplicateStep
            If *uid* is taken.
        """
        links = scheduled_links(attributes)
        study, sps, accession = links[0] if links else ("", "", "")
        now = utc_now()
        status = text(attributes.get("PerformedProcedureStepStatus"))
        try:
            with self.database.writer() as conn:
                conn.execute(
                    "INSERT INTO procedure_steps (sop_instance_uid, status, attributes,"
                    " calling_ae, study_uid, accession_number, sps_id, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (uid, status, _json(attributes), calling_ae, study, accession, sps, now, now),
                )
        except sqlite3.IntegrityError as exc:
            raise DuplicateStep(f"a procedure step {uid} exists already") from exc
        return ProcedureStep(uid, status, attributes, calling_ae, now, now)

    def get(self, uid: str) -> ProcedureStep | None:
        with self.database.reader() as conn:
            row = conn.execute(_SELECT + " WHERE sop_instance_uid = ?", (uid,)).fetchone()
        return _step(row) if row is not None else None

    def steps(self, limit: int = 100, after: int = 0) -> list[tuple[int, ProcedureStep]]:
        """(id, step) pairs in id order, *limit* at a time after id *after*."""
        with self.database.reader() as conn:
            rows = conn.execute(
                _SELECT + " WHERE pk > ? ORDER BY pk LIMIT ?", (after, limit)
            ).fetchall()
        return [(row["pk"], _step(row)) for row in rows]

    def replace(self, uid: str, expected_status: str, attributes: Dataset) -> ProcedureStep:
        """Store the step's new attributes, if its status is still *expected_status*
        (another association may have moved it on meanwhile).

        Raises
        ------
        NoSuchStep
            If there is no such step, or its status is no longer *expected_status*.
        """
        status = text(attributes.get("PerformedProcedureStepStatus"))
        now = utc_now()
        with self.database.writer() as conn:
            changed = conn.execute(
                "UPDATE procedure_steps SET status = ?, attributes = ?, updated_at = ?"
                " WHERE sop_instance_uid = ? AND status = ?",
                (status, _json(attributes), now, uid, expected_status),
            ).rowcount
        if not changed:
            raise NoSuchStep(f"procedure step {uid} is not {expected_status} any more")
        step = self.get(uid)
        assert step is not None
        return step

    def count(self) -> int:
        with self.database.reader() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM procedure_steps").fetchone()[0])


_SELECT = (
    "SELECT pk, sop_instance_uid, status, attributes, calling_ae, created_at, updated_at"
    " FROM procedure_steps"
)


def _json(attributes: Dataset) -> str:
    return json.dumps(attributes.to_json_dict(), ensure_ascii=False)


def _step(row: sqlite3.Row) -> ProcedureStep:
    return ProcedureStep(
        row["sop_instance_uid"],
        row["status"],
        Dataset.from_json(row["attributes"]),
        row["calling_ae"],
        row["created_at"],
        row["updated_at"],
    )
