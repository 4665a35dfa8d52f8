"""A network server on its own asyncio event loop, in its own thread (admin API, HL7 MLLP)."""

from __future__ import annotations

import asyncio
import threading


class LoopServer:
    """Subclasses open their listener in :meth:`_open` (returning the bound port) and close it
    in :meth:`_close`; :meth:`start` returns once the socket is bound, or re-raises why not."""

    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.port: int | None = None

    async def _open(self) -> int:
        raise NotImplementedError

    async def _close(self) -> None:
        return None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self.port = self._loop.run_until_complete(self._open())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._close())
        self._loop.close()

    def start(self) -> None:
        """Bind and start serving; re-raises the bind error, if any."""
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error

    def stop(self) -> None:
        """Stop serving and wait for the thread (idempotent)."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
