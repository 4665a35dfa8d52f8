"""Storage Commitment requests (PS3.4 Annex J) in the index: what was asked, what was reported.

The decision (which instances are committed) is made from the index by the commitment service;
this module only records it, and the delivery's outcome.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset

from storage.database import ArchiveDatabase
from storage.values import utc_now


@dataclass(frozen=True, slots=True)
class Commitment:
    """One Storage Commitment request and its report."""

    pk: int
    transaction_uid: str
    calling_ae: str
    requested: int
    failed: int
    event_type: int
    state: str
    delivered_via: str
    report: dict[str, Any]
    detail: str
    created_at: str
    updated_at: str

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.pk,
            "transaction_uid": self.transaction_uid,
            "calling_ae": self.calling_ae,
            "requested": self.requested,
            "failed": self.failed,
            "event_type": self.event_type,
            "state": self.state,
            "delivered_via": self.delivered_via,
            "detail": self.detail,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "report": self.report,
        }


class Commitments:
    """The commitment records of an index. Thread-safe."""

    def __init__(self, database: ArchiveDatabase) -> None:
        self.database = database

    def clear(self) -> int:
        """Remove every row; how many there were."""
        with self.database.writer() as conn:
            return int(conn.execute("DELETE FROM commitments").rowcount)

    def record(
        self, transaction_uid: str, calling_ae: str, requested: int, report: Dataset, event: int
    ) -> int:
        """Store a decided request, pending delivery; returns its id."""
        failed = len(report.get("FailedSOPSequence") or [])
        now = utc_now()
        with self.database.writer() as conn:
            cursor = conn.execute(
                "INSERT INTO commitments (transaction_uid, calling_ae, requested, failed,"
                " event_type, state, delivered_via, report, detail, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, 'pending', '', ?, '', ?, ?)",
                (
                    transaction_uid,
                    calling_ae,
                    requested,
                    failed,
                    event,
                    json.dumps(report.to_json_dict()),
                    now,
                    now,
                ),
            )
            return int(cursor.lastrowid or 0)

    def delivered(self, pk: int, state: str, via: str, detail: str = "") -> None:
        """Record how the report went: ``reported`` (and *via*) or ``undeliverable``."""
        with self.database.writer() as conn:
            conn.execute(
                "UPDATE commitments SET state = ?, delivered_via = ?, detail = ?, updated_at = ?"
                " WHERE pk = ?",
                (state, via, detail, utc_now(), pk),
            )

    def get(self, pk: int) -> Commitment | None:
        with self.database.reader() as conn:
            row = conn.execute(_SELECT + " WHERE pk = ?", (pk,)).fetchone()
        return _commitment(row) if row is not None else None

    def all(self, limit: int = 100, after: int = 0) -> list[Commitment]:
        with self.database.reader() as conn:
            rows = conn.execute(
                _SELECT + " WHERE pk > ? ORDER BY pk LIMIT ?", (after, limit)
            ).fetchall()
        return [_commitment(row) for row in rows]


_SELECT = (
    "SELECT pk, transaction_uid, calling_ae, requested, failed, event_type, state,"
    " delivered_via, report, detail, created_at, updated_at FROM commitments"
)


def _commitment(row: sqlite3.Row) -> Commitment:
    return Commitment(
        row["pk"],
        row["transaction_uid"],
        row["calling_ae"],
        row["requested"],
        row["failed"],
        row["event_type"],
        row["state"],
        row["delivered_via"],
        json.loads(row["report"]),
        row["detail"],
        row["created_at"],
        row["updated_at"],
    )
