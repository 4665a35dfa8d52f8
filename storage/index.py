"""The SQLite index of patients, studies, series and instances, in the archive's database
(``storage/database.py``: one writer connection under a lock, read-only connections, WAL)
with the worklist, procedure steps, commitments and journal. An instance row is committed
only after its file exists, with its patient, study and series rows; concurrent callers
share commits."""

from __future__ import annotations

import itertools
import logging
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from storage import locations, schema
from storage.attributes import Level
from storage.database import ArchiveDatabase
from storage.group_commit import GroupCommit, Pending
from storage.hierarchy import KEY_COLUMNS, drop_all_orphans, drop_orphans, rehome, upsert_sql
from storage.locations import Location, StoredInstance
from storage.query import Query, page_sizes
from storage.records import InstanceRecord
from storage.values import utc_now

if TYPE_CHECKING:
    from sqlite_utils import Database

T = TypeVar("T")
log = logging.getLogger(__name__)

_Row = tuple[InstanceRecord, Location, int, str]  # record, location, size, source AE


class Index:
    """The archive's index of patients, studies, series and instances, in its database
    (:class:`~storage.database.ArchiveDatabase`). Thread-safe; open with :meth:`open`."""

    def __init__(self, database: ArchiveDatabase) -> None:
        self.database = database
        self.path = database.path
        self._group: GroupCommit[_Row, Location] = GroupCommit(lambda b: self._commit_batch(b))
        self._upserts = {level: upsert_sql(level) for level in Level}
        # (level, unique key) → (pk, column values) of patient/study/series rows as last
        # committed; _pending holds the open transaction's, promoted only after COMMIT.
        self._known: dict[tuple[Any, ...], tuple[int, tuple[Any, ...]]] = {}
        self._pending: dict[tuple[Any, ...], tuple[int, tuple[Any, ...]]] = {}
        self._dropped = False

    @classmethod
    def open(cls, path: Path, durable: bool = False) -> Index:
        """The index in the database at *path* (see :meth:`ArchiveDatabase.open`)."""
        return cls(ArchiveDatabase.open(path, durable))

    @classmethod
    def open_readonly(cls, path: Path) -> Index:
        """The index in the existing database at *path*, read-only (see
        :meth:`ArchiveDatabase.open_readonly`)."""
        return cls(ArchiveDatabase.open_readonly(path))

    def close(self) -> None:
        """Close the database (idempotent)."""
        self.database.close()

    @property
    def _db(self) -> Database:
        return self.database.db

    @property
    def _write_lock(self) -> threading.RLock:
        return self.database.write_lock

    def reader(self) -> AbstractContextManager[sqlite3.Connection]:
        """A pooled read-only connection of the database (rows as ``sqlite3.Row``)."""
        return self.database.reader()

    # -- writes ---------------------------------------------------------------------------

    def add_instance(
        self, record: InstanceRecord, location: Location, size: int, source_ae: str = ""
    ) -> Location | None:
        """Index one stored instance, replacing any earlier one with the same SOP Instance UID.

        Returns the location of the replaced instance if it changed (a file for the caller to
        delete after this commit), or None. Returns only once the row is committed.

        Concurrent callers share commits (:mod:`storage.group_commit`). Should one row fail,
        the batch is rolled back and each row is tried in a transaction of its own, so that
        only the failing caller sees the error.
        """
        return self._group.submit((record, location, size, source_ae))

    def _commit_batch(self, batch: list[Pending[_Row, Location]]) -> None:
        now = utc_now()
        with self._write_lock:
            try:
                with self.database.atomic():
                    results = [self._add(*entry.item, now) for entry in batch]
            except BaseException as exc:
                self._pending.clear()
                if len(batch) == 1:
                    batch[0].finish(error=exc)
                    return
                for entry in batch:  # one by one: only the failing rows fail
                    self._commit_batch([entry])
                return
            self._commit_cache()
        for entry, replaced in zip(batch, results, strict=True):
            entry.finish(result=replaced)

    def add_instances(
        self, items: Iterable[tuple[InstanceRecord, Location, int]], source_ae: str = ""
    ) -> list[Location]:
        """Index many instances in one transaction (bulk loading).

        Returns the locations of the replaced instances whose location changed (files for
        the caller to delete after this commit).
        """
        replaced = []
        now = utc_now()
        with self._write_lock:
            try:
                with self.database.atomic():
                    for record, location, size in items:
                        old = self._add(record, location, size, source_ae, now)
                        if old is not None:
                            replaced.append(old)
            except BaseException:
                self._pending.clear()
                raise
            self._commit_cache()
        return replaced

    def remove(
        self,
        received: bool = True,
        fabricated: bool = True,
        study_uid: str | None = None,
        series_uid: str | None = None,
        sop_instance_uid: str | None = None,
    ) -> tuple[int, list[str]]:
        """Remove instances (received, fabricated, or both; of one study, series or instance
        if given) and the series, studies and patients left empty, in one transaction.

        Returns how many instances went and the locations of removed received files (for
        the caller to delete after this commit).
        """
        kinds = [
            k
            for k, on in ((locations.RECEIVED, received), (locations.FABRICATED, fabricated))
            if on
        ]
        if not kinds:
            return 0, []
        where = f"({' OR '.join(kinds)})"
        params: tuple[str, ...] = ()
        for condition, value in (
            ("study_pk IN (SELECT pk FROM studies WHERE study_uid = ?)", study_uid),
            ("series_pk IN (SELECT pk FROM series WHERE series_uid = ?)", series_uid),
            ("sop_instance_uid = ?", sop_instance_uid),
        ):
            if value is not None:
                where, params = f"{where} AND {condition}", (*params, value)
        with self._write_lock:
            with self.database.atomic():
                conn = self._db.conn
                paths = [
                    row[0]
                    for row in conn.execute(f"SELECT path FROM instances WHERE {where}", params)
                ]  # NULL for a recipe's instance
                conn.execute(f"DELETE FROM instances WHERE {where}", params)
                drop_all_orphans(conn)
                if not conn.execute(
                    f"SELECT 1 FROM instances WHERE {locations.FABRICATED} LIMIT 1"
                ).fetchone():
                    conn.execute("DELETE FROM recipes")
                self._dropped = True
            self._commit_cache()
        return len(paths), [p for p in paths if p is not None]

    def change(self, apply: Callable[[sqlite3.Connection], T]) -> T:
        """*apply* (a patient change, ``storage.patients``) in one transaction; the rows it
        moved or removed are forgotten by the upsert cache."""
        with self._write_lock:
            with self.database.atomic():
                result, self._dropped = apply(self._db.conn), True
            self._commit_cache()
        return result

    def add_recipe(self, spec: str) -> int:
        """Store a fabrication recipe (a spec as JSON); returns its key for locations."""
        with self._write_lock, self.database.atomic():
            cursor = self._db.conn.execute(
                "INSERT INTO recipes (spec, created_at) VALUES (?, ?)", (spec, utc_now())
            )
            return int(cursor.lastrowid or 0)

    def recipe(self, pk: int) -> str | None:
        """The spec JSON of recipe *pk*, or None."""
        with self.reader() as conn:
            row = conn.execute("SELECT spec FROM recipes WHERE pk = ?", (pk,)).fetchone()
        return str(row[0]) if row is not None else None

    def _commit_cache(self) -> None:
        """Remember what the committed transaction wrote (see :meth:`_upsert_parent`)."""
        if self._dropped:
            self._known.clear()
            self._dropped = False
        self._known.update(self._pending)
        self._pending.clear()
        if len(self._known) > 4096:
            self._known.clear()

    def _add(
        self, record: InstanceRecord, location: Location, size: int, source_ae: str, now: str
    ) -> Location | None:
        conn = self._db.conn
        old = conn.execute(
            f"SELECT series_pk, study_pk, patient_pk, {locations.select()} FROM instances i"
            " WHERE sop_instance_uid = ?",
            (record.sop_instance_uid,),
        ).fetchone()
        patient_pk, same_patient = self._upsert_parent(
            Level.PATIENT, record.columns[Level.PATIENT], now
        )
        study_pk, same_study = self._upsert_parent(
            Level.STUDY, {**record.columns[Level.STUDY], "patient_pk": patient_pk}, now
        )
        series_pk, same_series = self._upsert_parent(
            Level.SERIES,
            {**record.columns[Level.SERIES], "study_pk": study_pk, "patient_pk": patient_pk},
            now,
        )
        image = {
            **record.columns[Level.IMAGE],
            "series_pk": series_pk,
            "study_pk": study_pk,
            "patient_pk": patient_pk,
            "transfer_syntax_uid": record.transfer_syntax_uid,
            **locations.values(location),
            "size": size,
            "source_ae": source_ae,
        }
        self._upsert(Level.IMAGE, image, now)
        if not (same_patient and same_study and same_series) or old is not None:
            rehome(self._db.conn, study_pk, patient_pk, series_pk)
        if old is not None:
            self._dropped = True  # rows may vanish: forget what the cache knows at commit
            drop_orphans(self._db.conn, old[0], old[1], old[2])
            replaced = locations.from_row(tuple(old[3:]))
            return replaced if replaced != location else None
        return None

    def _upsert_parent(self, level: Level, values: dict[str, Any], now: str) -> tuple[int, bool]:
        """Upsert a patient, study or series row unless the last committed upsert of the same
        entity had the very same values (a burst of one series repeats them for every
        instance). Returns (pk, whether the upsert was skipped)."""
        _, columns = self._upserts[level]
        key = (level, *(values.get(c) for c in KEY_COLUMNS[level]))
        signature = tuple(values.get(c) for c in columns)
        known = self._pending.get(key) or self._known.get(key)
        if known is not None and known[1] == signature:
            return known[0], True
        pk = self._upsert(level, values, now)
        self._pending[key] = (pk, signature)
        return pk, False

    def _upsert(self, level: Level, values: dict[str, Any], now: str) -> int:
        sql, columns = self._upserts[level]
        values = {**values, "updated_at": now}
        row = self._db.conn.execute(sql, [values.get(c) for c in columns]).fetchone()
        return int(row[0])

    # -- reads ----------------------------------------------------------------------------

    def iter_rows(self, query: Query, page_size: int = 100) -> Iterator[sqlite3.Row]:
        """Yield *query*'s rows in growing pages (``query.page_sizes``), no cursor between."""
        where = " AND ".join((*query.where, f"{query.key} > ?"))
        sql = (
            f"SELECT {query.select}, {query.key} AS _pk FROM {query.source}"
            f" WHERE {where} ORDER BY {query.key} LIMIT ?"
        )
        after = 0
        for size in page_sizes(page_size):
            with self.reader() as conn:
                rows = conn.execute(sql, (*query.params, after, size)).fetchall()
            yield from rows
            if len(rows) < size:
                return
            after = rows[-1]["_pk"]

    def explain(self, query: Query) -> list[str]:
        """SQLite's query plan for *query* (used by tests to prove that indexes are used)."""
        where = " AND ".join((*query.where, f"{query.key} > ?"))
        sql = (
            f"EXPLAIN QUERY PLAN SELECT {query.select} FROM {query.source}"
            f" WHERE {where} ORDER BY {query.key} LIMIT ?"
        )
        with self.reader() as conn:
            return [row["detail"] for row in conn.execute(sql, (*query.params, 0, 1))]

    def count(self, query: Query) -> int:
        """How many rows *query* matches (the number of C-MOVE/C-GET sub-operations)."""
        sql = f"SELECT COUNT(*) FROM {query.source} WHERE {' AND '.join(query.where)}"
        with self.reader() as conn:
            return int(conn.execute(sql, query.params).fetchone()[0])

    def distinct_classes(self, query: Query) -> list[tuple[str, str]]:
        """The distinct (SOP class, transfer syntax) pairs of the instances *query* names."""
        sql = (
            "SELECT DISTINCT i.sop_class_uid, i.transfer_syntax_uid"
            f" FROM {query.source} WHERE {' AND '.join(query.where)}"
        )
        with self.reader() as conn:
            return [(row[0], row[1]) for row in conn.execute(sql, query.params)]

    def studies_present(self, study_uids: Iterable[str], limit: int = 3) -> tuple[int, list[str]]:
        """How many of *study_uids* the archive holds, and the first *limit* of them."""
        found, examples = 0, list[str]()
        uids = iter(study_uids)
        with self.reader() as conn:
            while chunk := list(itertools.islice(uids, 500)):
                sql = (
                    "SELECT study_uid FROM studies"
                    f" WHERE study_uid IN ({', '.join('?' * len(chunk))})"
                )
                rows = [row[0] for row in conn.execute(sql, chunk)]
                found += len(rows)
                examples += rows[: max(0, limit - len(examples))]
        return found, examples

    def stored_syntaxes(self, sop_classes: Collection[str]) -> dict[str, dict[str, int]]:
        """How many instances of each of *sop_classes* are stored in each transfer syntax."""
        found: dict[str, dict[str, int]] = {}
        classes = list(sop_classes)
        with self.reader() as conn:
            for start in range(0, len(classes), 500):  # SQLite's bound parameters
                chunk = classes[start : start + 500]
                sql = (
                    "SELECT sop_class_uid, transfer_syntax_uid, COUNT(*) FROM instances"
                    f" WHERE sop_class_uid IN ({', '.join('?' * len(chunk))}) GROUP BY 1, 2"
                )
                for sop_class, syntax, count in conn.execute(sql, chunk):
                    found.setdefault(sop_class, {})[syntax] = int(count)
        return found

    def counts(self) -> dict[str, int]:
        """Number of patients, studies, series and instances."""
        with self.reader() as conn:
            return {
                table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in schema.TABLES.values()
            }

    def study_uids(self) -> set[str]:
        """Every indexed Study Instance UID."""
        with self.reader() as conn:
            return {row[0] for row in conn.execute("SELECT study_uid FROM studies")}

    def locations(self, study_uids: list[str] | None = None) -> Iterator[sqlite3.Row]:
        """SOP Instance UID, SOP Class UID and location of every instance (of *study_uids* if
        given), in index order, a page at a time."""
        where: tuple[str, ...] = ("1",)
        params: tuple[Any, ...] = ()
        if study_uids is not None:
            marks = ", ".join("?" for _ in study_uids)
            where = (f"i.study_pk IN (SELECT pk FROM studies WHERE study_uid IN ({marks}))",)
            params = tuple(study_uids)
        query = Query(
            f"i.sop_instance_uid AS sop_instance_uid, i.sop_class_uid AS sop_class_uid,"
            f" {locations.select()}",
            "instances i",
            where,
            params,
            "i.pk",
        )
        return self.iter_rows(query, page_size=500)

    def instance(self, sop_instance_uid: str) -> StoredInstance | None:
        """Where the instance with *sop_instance_uid* is stored, or None."""
        with self.reader() as conn:
            row = conn.execute(
                "SELECT sop_instance_uid, sop_class_uid, transfer_syntax_uid, size,"
                f" {locations.select()} FROM instances i WHERE sop_instance_uid = ?",
                (sop_instance_uid,),
            ).fetchone()
        if row is None:
            return None
        uids = (row["sop_instance_uid"], row["sop_class_uid"], row["transfer_syntax_uid"])
        return StoredInstance(*uids, locations.from_row(row), row["size"])

    def location(self, pk: int) -> Location | None:
        """The location of the instance whose row key is *pk*, or None."""
        with self.reader() as conn:
            row = conn.execute(
                f"SELECT {locations.select()} FROM instances i WHERE pk = ?", (pk,)
            ).fetchone()
        return None if row is None else locations.from_row(row)
