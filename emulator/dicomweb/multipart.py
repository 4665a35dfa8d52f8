"""``multipart/related`` answers (PS3.18 8.6.1.2), written part by part as they are made, so
that a study is never held in memory whole. Scenario rules may leave a part out, repeat it,
change the Content-Type, cut or throttle the bytes (``dicomweb.faults``)."""

from __future__ import annotations

import uuid

from aiohttp import web

from emulator.dicomweb.faults import changes, deliver


class MultipartAnswer:
    """A streamed ``multipart/related`` response whose parts are of *part_type*."""

    def __init__(self, request: web.Request, part_type: str) -> None:
        self.request = request
        self.boundary = f"fabricator-{uuid.uuid4().hex}"
        self.changes = changes(request)
        content_type = f'multipart/related; type="{part_type}"; boundary={self.boundary}'
        self.response = web.StreamResponse(
            headers={"Content-Type": self.changes.content_type or content_type}
        )
        self.parts = 0  # parts sent
        self.made = 0  # parts made, sent or not
        self.bytes = 0

    def _copies(self) -> int:
        if self.changes.drop_part == self.made:
            return 0
        duplicate = self.changes.duplicate
        return 1 + duplicate[1] if duplicate is not None and duplicate[0] == self.made else 1

    async def add(self, data: bytes, content_type: str, location: str | None = None) -> None:
        """Send one part (the response starts with the first), as often as the rules say."""
        self.made += 1
        if not self.response.prepared:
            await self.response.prepare(self.request)
        for _ in range(self._copies()):
            head = f"{'' if self.parts == 0 else chr(13) + chr(10)}--{self.boundary}\r\n"
            head += f"Content-Type: {content_type}\r\n"
            if location is not None:
                head += f"Content-Location: {location}\r\n"
            await deliver(self.request, self.response, head.encode("ascii") + b"\r\n")
            await deliver(self.request, self.response, data)
            self.parts += 1
            self.bytes += len(data)

    async def finish(self) -> web.StreamResponse:
        """Send the closing delimiter and end the response."""
        if not self.response.prepared:
            await self.response.prepare(self.request)
        lead = "\r\n" if self.parts else ""
        await deliver(self.request, self.response, f"{lead}--{self.boundary}--\r\n".encode())
        await self.response.write_eof()
        return self.response
