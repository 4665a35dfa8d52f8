"""Waits that a stop or a reset ends at once (commitment reports waiting out their delay)."""

from __future__ import annotations

import threading


class Interrupts:
    """``wait`` sleeps until its time passes, :meth:`interrupt` (a reset: later waits sleep
    again) or :meth:`stop` (the emulator stops: later waits return at once)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._event = threading.Event()

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
