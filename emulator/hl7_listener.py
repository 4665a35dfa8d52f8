"""The HL7 v2 MLLP listener: its own event loop in its own thread, like the admin server.

Each MLLP block (``0x0B`` message ``0x1C 0x0D``) is one message, handed to *handle* (off the
loop, it writes the index) and answered with the ACK *handle* returns. python-hl7's MLLP streams
frame the blocks; a connection with a malformed block is closed after a warning.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

import hl7.mllp  # type: ignore[import-untyped]

log = logging.getLogger("emulator.hl7")


def _decode(block: bytes) -> str:
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError:  # HL7's default character set is 8-bit (MSH-18 empty)
        return block.decode("latin-1")


class HL7Listener:
    """Serve MLLP on (host, port); :meth:`start` returns once the socket is bound."""

    def __init__(self, handle: Callable[[str, str], str], host: str, port: int) -> None:
        self._handle = handle
        self._host = host
        self._port = port
        self._loop = asyncio.new_event_loop()
        self._server: Any = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="hl7-mllp", daemon=True)
        self.port: int | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(
                hl7.mllp.start_hl7_server(self._client, self._host, self._port)
            )
            self.port = int(self._server.sockets[0].getsockname()[1])
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._server.close()
        self._loop.run_until_complete(self._server.wait_closed())
        self._loop.close()

    async def _client(self, reader: Any, writer: Any) -> None:
        peer = writer.get_extra_info("peername")
        where = f"{peer[0]}:{peer[1]}" if peer else "?"
        try:
            while not reader.at_eof():
                try:
                    block = await reader.readblock()
                except asyncio.IncompleteReadError:
                    return  # the peer closed between messages
                ack = await asyncio.to_thread(self._handle, _decode(block), f"mllp {where}")
                writer.writeblock(ack.encode("utf-8"))
                await writer.drain()
        except Exception as exc:  # a malformed block (no start character), a reset
            log.warning("hl7 connection from %s closed: %s", where, exc)
        finally:
            writer.close()

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
