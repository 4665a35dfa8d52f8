"""Part 10 files under the data directory, written atomically.

A file is written to ``tmp/`` under a random name, flushed (and fsynced if configured), then
renamed into ``objects/<shard>/<SOP Instance UID>.<token>.dcm``. The shard comes from a hash and
the name from a UID already validated per PS3.5 §9.1, so no peer-supplied text reaches the file
system unchecked. The unique token means that replacing an instance never overwrites the file the
index still points to: the old file is removed only after the index commits the new one.
"""

from __future__ import annotations

import errno
import itertools
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from storage.errors import StorageError, StorageFull
from storage.uids import is_valid_uid, shard

log = logging.getLogger(__name__)

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
_IOV_MAX = 1024  # buffers per writev (Linux's limit)


def write_all(fd: int, chunks: list[bytes]) -> None:
    """Write *chunks* to *fd* one after the other, in as few system calls as the kernel
    takes them (``writev``: no joined copy, and no buffered file object, whose open alone
    asks for the file's status, whether it is a terminal and its position). A short write
    goes on from where it stopped."""
    views = [memoryview(chunk) for chunk in chunks if len(chunk)]
    first = 0
    while first < len(views):
        written = os.writev(fd, views[first : first + _IOV_MAX])
        if written <= 0:
            raise OSError(errno.EIO, "the file took no bytes")
        while first < len(views) and written >= len(views[first]):
            written -= len(views[first])
            first += 1
        if written:
            views[first] = views[first][written:]


def prepare_data_dir(path: Path) -> None:
    """Create the data directory *path* if missing, and make sure it can be written.

    Raises
    ------
    StorageError
        In one line saying what is wrong with *path* and what to do.
    """
    if path.exists() and not path.is_dir():
        raise StorageError(
            f"the data directory {path} is a file: give --data-dir a directory (it is"
            " created if missing)"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"cannot create the data directory {path}: {exc.strerror or exc}; give --data-dir"
            " a directory you can write"
        ) from exc
    if not os.access(path, os.W_OK):
        raise StorageError(
            f"the data directory {path} is read-only; give --data-dir a directory you can"
            " write (export reads a read-only one)"
        )


class FileStore:
    """Part 10 files under ``root``; every path it hands out is relative to ``root``."""

    def __init__(self, root: Path, fsync: bool = True) -> None:
        self.root = root.resolve()
        self.fsync = fsync
        self.objects = self.root / "objects"
        self.tmp = self.root / "tmp"
        self.objects.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self._made: set[str] = set()  # shard directories known to exist
        # Unique file tokens: a random prefix per store (two processes never collide)
        # plus a counter (cheaper than asking the OS for randomness per file).
        self._prefix = secrets.token_hex(3)
        self._counter = itertools.count()

    def sweep_tmp(self) -> int:
        """Remove temporary files left by a crash; return how many were removed."""
        removed = 0
        for leftover in self.tmp.iterdir():
            leftover.unlink(missing_ok=True)
            removed += 1
        if removed:
            log.warning("removed %d unfinished file(s) from %s", removed, self.tmp)
        return removed

    def write(self, sop_instance_uid: str, chunks: list[bytes]) -> str:
        """Write *chunks* as one file for *sop_instance_uid*; return its relative path.

        Raises
        ------
        StorageFull
            If the disk (or quota) is full.
        StorageError
            For any other I/O failure. Nothing is left behind in either case.
        """
        if not is_valid_uid(
            sop_instance_uid
        ):  # the caller validated; never trust twice-removed input
            raise StorageError(f"refusing to build a file name from {sop_instance_uid!r}")
        token = self._token()
        directory = f"objects/{shard(sop_instance_uid)}"
        relative = f"{directory}/{sop_instance_uid}.{token}.dcm"
        final = self.root / relative
        tmp = self.tmp / f"{token}.part"
        try:
            fd = os.open(tmp, _CREATE, 0o666)
            try:
                write_all(fd, chunks)
                if self.fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            if directory not in self._made:
                final.parent.mkdir(parents=True, exist_ok=True)
                self._made.add(directory)
            os.replace(tmp, final)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            if exc.errno in _FULL_ERRNOS:
                raise StorageFull(f"data directory is full: {exc.strerror}") from exc
            raise StorageError(f"cannot write instance file: {exc}") from exc
        return relative

    def _token(self) -> str:
        return f"{self._prefix}{next(self._counter):x}"

    def path(self, relative: str) -> Path:
        """Absolute path of a stored file; refuses anything outside the data directory (no
        absolute path, no ``..``: checked on the text, no system call per read)."""
        parts = PurePosixPath(relative).parts
        if not parts or relative.startswith(("/", "\\")) or ".." in parts or "\\" in relative:
            raise StorageError(f"path {relative!r} is outside the data directory")
        return self.root / relative

    @contextmanager
    def open(self, relative: str) -> Iterator[BinaryIO]:
        """Open a stored file for reading (streaming; the caller reads what it needs)."""
        with open(self.path(relative), "rb") as f:
            yield f

    def remove(self, relative: str) -> None:
        """Delete a stored file if it still exists."""
        try:
            self.path(relative).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove replaced file %s: %s", relative, exc)
