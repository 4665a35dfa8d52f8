"""The emulator's local user accounts in the index: a name, a role and a password hash (never
the password: hashing is the accounts service's, ``emulator/services/accounts.py``)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from storage.database import ArchiveDatabase, peek
from storage.values import utc_now


@dataclass(frozen=True, slots=True)
class User:
    """One local account."""

    name: str
    role: str
    password_hash: str
    created_at: str
    updated_at: str

    def summary(self) -> dict[str, str]:
        """What may be shown of the account (never its hash)."""
        return {
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


_COLUMNS = "name, role, password_hash, created_at, updated_at"


class Users:
    """The users table. Thread-safe (through the database's writer and readers)."""

    def __init__(self, database: ArchiveDatabase) -> None:
        self.database = database

    def add(self, name: str, role: str, password_hash: str) -> bool:
        """Add a user; False if one with *name* exists already."""
        now = utc_now()
        try:
            with self.database.writer() as conn:
                conn.execute(
                    f"INSERT INTO users ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                    (name, role, password_hash, now, now),
                )
        except sqlite3.IntegrityError:
            return False
        return True

    def update(self, name: str, role: str | None = None, password_hash: str | None = None) -> bool:
        """Change a user's role or password hash; False if there is no such user."""
        sets = {k: v for k, v in (("role", role), ("password_hash", password_hash)) if v}
        assignments = ", ".join(f"{k} = ?" for k in sets)
        with self.database.writer() as conn:
            cursor = conn.execute(
                f"UPDATE users SET {assignments}, updated_at = ? WHERE name = ?",
                (*sets.values(), utc_now(), name),
            )
        return cursor.rowcount > 0

    def remove(self, name: str) -> bool:
        """Remove a user; False if there was none."""
        with self.database.writer() as conn:
            cursor = conn.execute("DELETE FROM users WHERE name = ?", (name,))
        return cursor.rowcount > 0

    def get(self, name: str) -> User | None:
        with self.database.reader() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM users WHERE name = ?", (name,)).fetchone()
        return None if row is None else User(*row)

    def all(self) -> list[User]:
        with self.database.reader() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM users ORDER BY name").fetchall()
        return [User(*row) for row in rows]

    def count(self) -> int:
        with self.database.reader() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM users").fetchone()[0])


def count_users(index_path: Path) -> int:
    """How many users the index file at *index_path* has, read without opening the archive
    (0 when there is no index yet, or one from before users existed)."""
    return peek(index_path, "SELECT COUNT(*) FROM users")
