"""Cross-thread wake-ups for the event loops: a descriptor any thread can signal, and a
queue that signals after each put. Nothing here knows DICOM."""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import threading
from collections.abc import Callable
from typing import Any


class Wakeup:
    """A descriptor to wait on that any thread can signal (an eventfd, or a socket pair).

    Signalling and clearing after :meth:`close` do nothing: a closed descriptor's number is
    soon given to another socket or file, and writing 8 bytes there, or reading 8 bytes from
    it, would corrupt someone else's stream (a late put to a finished association's queue
    would otherwise do just that).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._closed = False
        self._pair: tuple[socket.socket, socket.socket] | None = None
        if hasattr(os, "eventfd"):
            self._fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        else:  # pragma: no cover - not Linux
            self._pair = socket.socketpair()
            for end in self._pair:
                end.setblocking(False)
            self._fd = self._pair[0].fileno()

    def fileno(self) -> int:
        return self._fd

    def set(self) -> None:
        with self._lock:
            if self._closed:
                return
            try:
                if self._pair is None:
                    os.eventfd_write(self._fd, 1)
                else:  # pragma: no cover - not Linux
                    self._pair[1].send(b"\0")
            except OSError:
                pass  # already signalled: a full counter or buffer

    def clear(self) -> None:
        with self._lock:
            if self._closed:
                return
            try:
                if self._pair is None:
                    os.eventfd_read(self._fd)
                else:  # pragma: no cover - not Linux
                    while self._pair[0].recv(4096):
                        pass
            except OSError:
                pass  # nothing to clear

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._pair is None:
                with contextlib.suppress(OSError):
                    os.close(self._fd)
            else:  # pragma: no cover - not Linux
                for end in self._pair:
                    end.close()


class WakingQueue(queue.Queue[Any]):
    """A queue that calls *wake* after each put (under the queue's lock, item already in)."""

    def __init__(self, wake: Callable[[], None]) -> None:
        super().__init__()
        self._wake = wake

    def _put(self, item: Any) -> None:
        super()._put(item)
        self._wake()
