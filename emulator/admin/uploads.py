"""Part 10 files of an upload read one at a time as they arrive, each within its limit: the
admin API's ``POST /api/instances`` and DICOMweb's STOW-RS read them through here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from aiohttp import BodyPartReader, ClientPayloadError, MultipartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from emulator.admin.views import EMULATOR

DICOM = "application/dicom"
CHUNK = 256 * 1024
MAX_BOUNDARY = 200  # RFC 2046 says 70; Orthanc's DICOMweb plugin sends 73


def content_type_parameters(header: str) -> dict[str, str]:
    """The parameters of a Content-Type header value, names lower case, quotes removed."""
    return {
        name.strip().lower(): value.strip().strip('"')
        for name, _, value in (p.partition("=") for p in header.split(";")[1:])
    }


class LenientMultipartReader(MultipartReader):
    """aiohttp's multipart reader, taking a boundary longer than RFC 2046's 70 characters,
    which aiohttp refuses and real DICOMweb clients send (Orthanc's plugin: 73).

    The one touch of aiohttp's internals: ``MultipartReader._get_boundary`` is overridden
    (aiohttp is pinned below 4; ``tests/dicomweb/test_dicomweb_client.py`` posts a long
    boundary, and the Orthanc interop spec stores through it)."""

    def _get_boundary(self) -> str:
        boundary = content_type_parameters(self.headers.get("Content-Type", "")).get("boundary")
        if not boundary:
            raise ValueError("the Content-Type has no boundary parameter")
        if len(boundary) > MAX_BOUNDARY:
            raise ValueError(f"boundary {boundary[:80]!r}... is too long ({MAX_BOUNDARY} max)")
        return boundary


@dataclass(frozen=True, slots=True)
class Limits:
    """Where an upload's limits come from and what they are called in messages."""

    single: bool  # a lone application/dicom body is one file
    total_setting: str | None = None  # the setting bounding the whole body, if any


ADMIN_LIMITS = Limits(single=True)


async def _bounded(
    read: Callable[[int], Awaitable[bytes]], limit: int, counted: list[int], total: int
) -> bytes:
    """Everything *read* gives, chunk by chunk; 413 as soon as it passes *limit* bytes (or
    the body, counted in *counted*, passes *total*)."""
    data = bytearray()
    while chunk := await read(CHUNK):
        data += chunk
        counted[0] += len(chunk)
        if len(data) > limit:
            raise web.HTTPRequestEntityTooLarge(
                max_size=limit,
                actual_size=len(data),
                text=f"an uploaded file is larger than {limit} bytes, the limit"
                " (admin.max_upload_size, --admin-max-upload); nothing of it was stored",
            )
        if counted[0] > total:
            raise web.HTTPRequestEntityTooLarge(
                max_size=total,
                actual_size=counted[0],
                text=f"the request body is larger than {total} bytes, the limit"
                " (dicomweb.max_request_size, --dicomweb-max-request)",
            )
    return bytes(data)


async def dicom_parts(request: web.Request, limits: Limits) -> AsyncIterator[bytes]:
    """The Part 10 files of an upload, one at a time as they arrive: one ``application/dicom``
    body (if *limits* allow it), or the parts of a ``multipart/related`` (STOW-RS style) or
    ``multipart/form-data`` body. Each is held to ``admin.max_upload_size``; a malformed body
    is a 400."""
    config = request.app[EMULATOR].config
    limit = config.admin.max_upload_size
    total = config.dicomweb.max_request_size if limits.total_setting else 2**63
    counted = [0]
    if limits.single and request.content_type == DICOM:
        yield await _bounded(request.content.read, limit, counted, total)
        return
    if not request.content_type.startswith("multipart/"):
        raise web.HTTPUnsupportedMediaType(
            text=f"send {DICOM} (one file) or multipart/related; type={DICOM} (several),"
            f" not {request.content_type or 'no Content-Type'}"
        )
    count = 0
    try:
        reader = LenientMultipartReader(request.headers, request.content)
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader):
                count += 1
                yield await _bounded(part.read_chunk, limit, counted, total)
    except (
        ValueError,
        RuntimeError,
        AssertionError,
        ClientPayloadError,
        HttpProcessingError,
    ) as exc:
        raise web.HTTPBadRequest(
            text=f"the multipart body is malformed ({exc or type(exc).__name__}); send parts"
            f" separated by the boundary of the Content-Type header"
        ) from None
    if not count:
        raise web.HTTPBadRequest(text="the multipart body has no parts")
