"""Waits that a stop or a reset ends at once (commitment reports waiting out their delay)."""

from __future__ import annotations

import threading
import time


class Interrupts:
    """``wait`` sleeps until its time passes, :meth:`interrupt` (a reset: later waits sleep
    again) or :meth:`stop` (the emulator stops: later waits return at once)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._threads: set[threading.Thread] = set()

    def start(self, thread: threading.Thread) -> None:
        """Start *thread*, a background task that :meth:`join` waits for at stop."""
        with self._lock:
            self._threads = {t for t in self._threads if t.is_alive()}
            self._threads.add(thread)
        thread.start()

    def join(self, timeout: float) -> None:
        """Wait up to *timeout* seconds in all for the background tasks (after :meth:`stop`)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def wait(self, seconds: float) -> bool:
        """Sleep up to *seconds*; True if interrupted or stopped instead."""
        with self._lock:
            event = self._event
        return event.wait(seconds)

    def interrupt(self) -> None:
        with self._lock:
            ended, self._event = self._event, threading.Event()
        ended.set()

    def stop(self) -> None:
        with self._lock:
            self._event.set()

    @property
    def stopped(self) -> bool:
        return self._event.is_set()
