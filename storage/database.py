"""The archive's SQLite database: connections and transactions for every store in it.

One writer connection guarded by a lock; reads use a pool of read-only connections, so a
C-FIND streaming its pages never waits behind a C-STORE commit (WAL mode). The instance index
(``storage/index.py``), the worklist, procedure steps, commitments and the journal's records
each keep their tables here and write through :meth:`ArchiveDatabase.writer`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage.errors import StorageError, StorageFull

NOT_YET_SERVED = "not_yet_served"  # meta key: made by a command before any serve (new)
_SQLITE_FULL = 13  # SQLite's result code; sqlite3.SQLITE_FULL on Python 3.11+
WRITER_CACHE_KIB = 32 * 1024  # the write connection's page cache, at most


def peek(index_path: Path, sql: str) -> int:
    """A number the query *sql* reads from the index file at *index_path* without opening it
    as the archive (0 when there is no index yet, or it lacks the table: an older one)."""
    if not index_path.is_file():
        return 0
    try:
        conn = sqlite3.connect(index_path.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error:
        return 0  # opening it as the archive says what is wrong with it
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


class ArchiveDatabase:
    """The database file at *path*, its schema brought up to date. Thread-safe."""

    def __init__(
        self, path: Path, readers: int = 16, readonly: bool = False, durable: bool = False
    ) -> None:
        self.path = path
        self._uri = path.resolve().as_uri()
        if readonly:
            base, self._uri = self._uri, self._uri + "?mode=ro"
            probe = sqlite3.connect(self._uri, uri=True)
            try:
                probe.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            except sqlite3.OperationalError:  # a WAL index whose -shm cannot be made here
                self._uri = base + "?immutable=1"
            finally:
                probe.close()
        # imported on opening, not with this module (which the stores' types bring in): it
        # imports numpy at start, and the DICOM listener starts before the archive opens
        from sqlite_utils import Database

        from storage import migrations

        conn = self._connect()
        self.db = Database(conn)
        if not readonly:
            self.db.enable_wal()
            # A commit handed to the operating system survives a crash or kill -9 of this
            # process whatever the setting (SQLite: "the data will be safe"); OFF never waits
            # for the disk, not even at WAL checkpoints. FULL syncs each commit, for power loss.
            conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'OFF'}")
            # The writer's page cache: SQLite's default (2 MiB) holds fewer pages than the
            # commits of 50 busy associations touch once the archive has grown, and each
            # page missed is a read system call (its GIL handed over and taken back): the
            # server's CPU per request rose by a quarter over 150 s of bench/load.py.
            conn.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
            conn.execute("PRAGMA foreign_keys=OFF")
            migrations.apply(self.db)
        self.write_lock = threading.RLock()
        self._pool: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()
        self._max_readers = readers
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._uri, uri=True, check_same_thread=False, timeout=10)

    @classmethod
    def open(cls, path: Path, durable: bool = False) -> ArchiveDatabase:
        """Open (creating if needed) the database at *path* and bring its schema up to date;
        *durable*: every commit is synced to disk (power-loss safe, slower)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(path, durable=durable)

    @classmethod
    def open_readonly(cls, path: Path) -> ArchiveDatabase:
        """The existing database at *path*, read-only: nothing is written, not the schema,
        not the journal mode, not even the WAL's shared memory where the directory is
        read-only, so an archive on a read-only disk can be exported. Writing raises.

        Raises
        ------
        StorageError
            If there is no database at *path* or it cannot be read.
        """
        if not path.is_file():
            raise StorageError(f"no index at {path}")
        return cls(path, readonly=True)

    def close(self) -> None:
        """Close every connection (idempotent)."""
        with self.write_lock, self._pool_lock:
            if self._closed:
                return
            self._closed = True
            for conn in self._pool:
                conn.close()
            self._pool.clear()
            self.db.close()

    def meta(self, key: str) -> str | None:
        """A fact about the database (``meta`` table), or None."""
        with self.reader() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        """Record a fact about the database (None: forget it)."""
        with self.writer() as conn:
            if value is None:
                conn.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One transaction on the write connection (the caller holds :attr:`write_lock`).

        Raises
        ------
        StorageFull
            If the database cannot grow (the disk is full): the transaction is rolled back.
        """
        try:
            with self.db.atomic():
                yield
        except sqlite3.OperationalError as exc:
            code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
            if code != _SQLITE_FULL and "disk is full" not in str(exc):
                raise
            raise StorageFull(f"the archive database cannot grow: {exc}") from exc

    @contextmanager
    def writer(self) -> Iterator[sqlite3.Connection]:
        """The write connection, in one transaction (:meth:`atomic`) under the write lock."""
        with self.write_lock, self.atomic():
            yield self.db.conn

    @contextmanager
    def reader(self) -> Iterator[sqlite3.Connection]:
        """A pooled read-only connection (rows as ``sqlite3.Row``)."""
        with self._pool_lock:
            conn = self._pool.pop() if self._pool else None
        if conn is None:
            conn = self._connect()
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA query_only=1")
        try:
            yield conn
        finally:
            with self._pool_lock:
                if len(self._pool) < self._max_readers and not self._closed:
                    self._pool.append(conn)
                else:
                    conn.close()
