"""The HL7 v2 MLLP listener: its own event loop in its own thread (``LoopServer``).

Each MLLP block (``0x0B`` message ``0x1C 0x0D``) is one message, handed to *handle* (off the
loop, it writes the index) and answered with the ACK *handle* returns. python-hl7's MLLP streams
frame the blocks; a connection with a malformed block is closed after a warning.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import hl7.mllp  # type: ignore[import-untyped]

from emulator.loop_server import LoopServer

log = logging.getLogger("emulator.hl7")


def _decode(block: bytes) -> str:
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError:  # HL7's default character set is 8-bit (MSH-18 empty)
        return block.decode("latin-1")


class HL7Listener(LoopServer):
    """Serve MLLP on (host, port); :meth:`start` returns once the socket is bound."""

    def __init__(self, handle: Callable[[str, str], str], host: str, port: int) -> None:
        super().__init__("hl7-mllp")
        self._handle = handle
        self._host = host
        self._port = port
        self._server: Any = None
        self._writers: set[Any] = set()  # open connections, closed at stop

    async def _open(self) -> int:
        self._server = await hl7.mllp.start_hl7_server(self._client, self._host, self._port)
        return int(self._server.sockets[0].getsockname()[1])

    async def _close(self) -> None:
        self._server.close()
        for writer in list(self._writers):  # wait_closed waits for connections (3.12+)
            writer.close()
        await self._server.wait_closed()

    async def _client(self, reader: Any, writer: Any) -> None:
        peer = writer.get_extra_info("peername")
        where = f"{peer[0]}:{peer[1]}" if peer else "?"
        self._writers.add(writer)
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
            self._writers.discard(writer)
            writer.close()
