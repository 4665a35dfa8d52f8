"""Cross-thread wake-ups for the event loops: a descriptor any thread can signal, and a
queue that signals after each put. Nothing here knows DICOM."""

from __future__ import annotations

import contextlib
import os
import queue
import socket
from collections.abc import Callable
from typing import Any


class Wakeup:
    """A descriptor to wait on that any thread can signal (an eventfd, or a socket pair)."""

    def __init__(self) -> None:
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
        try:
            if self._pair is None:
                os.eventfd_write(self._fd, 1)
            else:  # pragma: no cover - not Linux
                self._pair[1].send(b"\0")
        except (BlockingIOError, OSError):
            pass  # already signalled (a full counter or buffer), or closed at the end

    def clear(self) -> None:
        try:
            if self._pair is None:
                os.eventfd_read(self._fd)
            else:  # pragma: no cover - not Linux
                while self._pair[0].recv(4096):
                    pass
        except (BlockingIOError, OSError):
            pass

    def close(self) -> None:
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
