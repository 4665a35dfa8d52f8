"""Cross-thread wake-ups for the event loops: a descriptor any thread can signal, and a
queue that signals after each put. Nothing here knows DICOM."""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import threading
import time
from collections import deque
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


class WakingQueue:
    """A FIFO queue that calls *wake* after each put (the item already in), with the part of
    ``queue.Queue``'s interface pynetdicom uses on its association queues: ``put``, ``get``
    (blocking, with a timeout, or not), ``empty``, ``qsize`` and ``queue`` (the deque it
    peeks at).

    ``queue.Queue`` builds a lock and three conditions per queue, and an association has
    five queues: their construction was a tenth of the server's time to accept one. This one
    holds a deque and a lock, and builds a condition only for the first get that waits.
    """

    __slots__ = ("_lock", "_ready", "_wake", "queue")

    def __init__(self, wake: Callable[[], None]) -> None:
        self.queue: deque[Any] = deque()
        self._wake = wake
        self._lock = threading.Lock()
        self._ready: threading.Condition | None = None  # made by the first get that waits

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        with self._lock:
            self.queue.append(item)
            if self._ready is not None:
                self._ready.notify()
        self._wake()

    def put_nowait(self, item: Any) -> None:
        self.put(item)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        with self._lock:
            if self.queue:
                return self.queue.popleft()
            if not block:
                raise queue.Empty
            if self._ready is None:
                self._ready = threading.Condition(self._lock)
            deadline = None if timeout is None else time.monotonic() + timeout
            while not self.queue:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise queue.Empty
                self._ready.wait(remaining)
            return self.queue.popleft()

    def get_nowait(self) -> Any:
        return self.get(False)

    def empty(self) -> bool:
        return not self.queue

    def qsize(self) -> int:
        return len(self.queue)
