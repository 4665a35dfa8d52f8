"""The request journal's records, persisted: one JSON document per record, by id.

The emulator's journal keeps the newest records in memory for queries and writes every record
here behind the DICOM path (a background flush), so older ones stay readable by id and the
journal survives a restart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from storage.database import ArchiveDatabase, peek

CHUNK = 200  # journal rows per transaction


def last_id_in(path: Path) -> int:
    """The newest journal id in the index file at *path*, read before it is opened as an
    archive (0 if there is no such file or no journal in it yet)."""
    return peek(path, "SELECT COALESCE(MAX(id), 0) FROM journal")


class JournalStore:
    """The ``journal`` table of an index. Thread-safe."""

    def __init__(self, database: ArchiveDatabase) -> None:
        self.database = database

    def write(self, records: Iterable[tuple[int, str, str, float]]) -> None:
        """Insert or replace records: (id, kind, the record's dict as JSON, when it began in
        seconds since the epoch) each, as the journal encodes them."""
        rows = list(records)
        # in transactions of at most CHUNK rows: a C-STORE waiting for the write lock waits
        # for one chunk, not for a whole flush under load
        for start in range(0, len(rows), CHUNK):
            with self.database.writer() as conn:
                conn.executemany(
                    "INSERT OR REPLACE INTO journal (id, kind, record, started)"
                    " VALUES (?, ?, ?, ?)",
                    rows[start : start + CHUNK],
                )

    def get(self, record_id: int) -> dict[str, Any] | None:
        with self.database.reader() as conn:
            row = conn.execute("SELECT record FROM journal WHERE id = ?", (record_id,)).fetchone()
        return dict(json.loads(row[0])) if row is not None else None

    def last_id(self) -> int:
        with self.database.reader() as conn:
            return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM journal").fetchone()[0])

    def count(self) -> int:
        with self.database.reader() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0])

    def clear(self) -> None:
        with self.database.writer() as conn:
            conn.execute("DELETE FROM journal")
