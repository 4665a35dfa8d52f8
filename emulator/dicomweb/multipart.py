"""``multipart/related`` answers (PS3.18 8.6.1.2), written part by part as they are made, so
that a study is never held in memory whole."""

from __future__ import annotations

import uuid

from aiohttp import web


class MultipartAnswer:
    """A streamed ``multipart/related`` response whose parts are of *part_type*."""

    def __init__(self, request: web.Request, part_type: str) -> None:
        self.request = request
        self.boundary = f"fabricator-{uuid.uuid4().hex}"
        self.response = web.StreamResponse(
            headers={
                "Content-Type": (f'multipart/related; type="{part_type}"; boundary={self.boundary}')
            }
        )
        self.parts = 0
        self.bytes = 0

    async def add(self, data: bytes, content_type: str, location: str | None = None) -> None:
        """Send one part (the response starts with the first)."""
        if not self.response.prepared:
            await self.response.prepare(self.request)
        head = f"{'' if self.parts == 0 else chr(13) + chr(10)}--{self.boundary}\r\n"
        head += f"Content-Type: {content_type}\r\n"
        if location is not None:
            head += f"Content-Location: {location}\r\n"
        await self.response.write(head.encode("ascii") + b"\r\n")
        await self.response.write(data)
        self.parts += 1
        self.bytes += len(data)

    async def finish(self) -> web.StreamResponse:
        """Send the closing delimiter and end the response."""
        if not self.response.prepared:
            await self.response.prepare(self.request)
        lead = "\r\n" if self.parts else ""
        await self.response.write(f"{lead}--{self.boundary}--\r\n".encode("ascii"))
        await self.response.write_eof()
        return self.response
