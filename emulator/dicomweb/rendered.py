"""Rendered resources (PS3.18 10.4.1.1.3): ``rendered`` and ``thumbnail`` of instances and
frames, thumbnails of series and studies, and WADO-URI (PS3.18 9), as JPEG or PNG; an
Encapsulated PDF's ``rendered`` is its document."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from pydicom.uid import EncapsulatedPDFStorage

from emulator.dicomweb.base import context
from emulator.dicomweb.media import DICOM, parse_accept
from emulator.dicomweb.wado import instances_of
from emulator.services import web_retrieve
from emulator.services.rendering import MEDIA, Rendering, Window, render
from storage import StorageError, locations


def _media_type(request: web.Request) -> str:
    """image/jpeg or image/png from ``Accept`` (JPEG for ``*/*``); 406 otherwise."""
    for accepted in parse_accept(request.headers.get("Accept")):
        for media in MEDIA:
            if accepted.matches(media):
                return media
    raise web.HTTPNotAcceptable(
        text=f"rendered images are image/jpeg or image/png; Accept"
        f" {request.headers.get('Accept')!r} has neither"
    )


def _numbers(name: str, raw: str, count: int) -> list[float]:
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        values = []
    if len(values) < count:
        raise web.HTTPBadRequest(text=f"{name}={raw!r}: give {count} comma-separated numbers")
    return values


def _window(raw: str | None) -> Window | None:
    if raw is None:
        return None
    parts = raw.split(",")
    center, width = _numbers("window", ",".join(parts[:2]), 2)
    function = parts[2].strip().upper() if len(parts) > 2 else "LINEAR"
    if function not in ("LINEAR", "LINEAR_EXACT", "SIGMOID") or width <= 0:
        raise web.HTTPBadRequest(
            text=f"window={raw!r}: give center,width[,linear|linear_exact|sigmoid], width > 0"
        )
    return Window(center, width, function)


def _viewport(raw: str | None) -> tuple[int, int] | None:
    if raw is None:
        return None
    columns, rows = (int(v) for v in _numbers("viewport", raw, 2)[:2])
    if not (1 <= columns <= 8192 and 1 <= rows <= 8192):
        raise web.HTTPBadRequest(text=f"viewport={raw!r}: give width,height from 1 to 8192")
    return columns, rows


def _quality(raw: str | None) -> int:
    if raw is None:
        return 90
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise web.HTTPBadRequest(text=f"quality={raw!r}: give a whole number from 1 to 100")
    return int(raw)


async def _image(
    request: web.Request, row: Any, frame: int, how: Rendering, thumb: bool
) -> web.Response:
    ctx = context(request)

    def make() -> bytes:
        ds = ctx.instances.dataset(locations.from_row(row))
        return render(ds, frame, how, thumbnail=thumb)

    try:
        data = await asyncio.to_thread(make)
    except IndexError as exc:
        raise web.HTTPNotFound(text=str(exc)) from None
    except StorageError as exc:
        raise web.HTTPNotAcceptable(text=f"this instance cannot be rendered: {exc}") from None
    return web.Response(body=data, content_type=how.media_type)


def _frame(request: web.Request) -> int:
    raw = request.match_info.get("frames", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise web.HTTPBadRequest(text=f"frames/{raw}: a rendered frame is one number from 1")
    return int(raw)


PDF = "application/pdf"


def _accepts_pdf(request: web.Request) -> bool:
    return any(a.matches(PDF) for a in parse_accept(request.headers.get("Accept")))


async def _document(request: web.Request, row: Any) -> web.Response:
    """An Encapsulated PDF rendered: the document itself (PS3.18 Table 8.7.4-1)."""
    ctx = context(request)

    def read() -> bytes:
        ds = ctx.instances.dataset(locations.from_row(row))
        length = int(ds.get("EncapsulatedDocumentLength", len(ds.EncapsulatedDocument)))
        return bytes(ds.EncapsulatedDocument[:length])

    try:
        data = await asyncio.to_thread(read)
    except (StorageError, AttributeError) as exc:
        raise web.HTTPNotAcceptable(text=f"this document cannot be rendered: {exc}") from None
    return web.Response(body=data, content_type=PDF)


async def rendered(request: web.Request) -> web.StreamResponse:
    """GET .../instances/{instance}[/frames/{n}]/rendered (an instance: its first frame; an
    Encapsulated PDF: the document, as application/pdf)"""
    info = request.match_info
    if "frames" not in info and _accepts_pdf(request):
        [row] = await instances_of(request, info["study"], info["series"], info["instance"])
        if row["sop_class_uid"] == EncapsulatedPDFStorage:
            return await _document(request, row)
    how = Rendering(
        _media_type(request),
        _window(request.query.get("window")),
        _viewport(request.query.get("viewport")),
        _quality(request.query.get("quality")),
    )
    [row] = await instances_of(request, info["study"], info["series"], info["instance"])
    return await _image(request, row, _frame(request), how, thumb=False)


async def thumbnail(request: web.Request) -> web.StreamResponse:
    """GET .../thumbnail of a study, series, instance or frame: the middle instance's."""
    info = request.match_info
    how = Rendering(_media_type(request), quality=_quality(request.query.get("quality")))
    rows = await instances_of(request, info["study"], info.get("series"), info.get("instance"))
    return await _image(request, rows[len(rows) // 2], _frame(request), how, thumb=True)


async def wado_uri(request: web.Request) -> web.StreamResponse:
    """GET /wado?requestType=WADO&studyUID=&seriesUID=&objectUID=&contentType= (PS3.18 9)"""
    q = request.query
    if q.get("requestType") != "WADO":
        raise web.HTTPBadRequest(text="requestType=WADO is required (PS3.18 9.1.2)")
    missing = [k for k in ("studyUID", "seriesUID", "objectUID") if not q.get(k)]
    if missing:
        raise web.HTTPBadRequest(text=f"give {', '.join(missing)} (PS3.18 9.1.2)")
    [row] = await instances_of(request, q["studyUID"], q["seriesUID"], q["objectUID"])
    content_type = q.get("contentType", "image/jpeg").split(",")[0].strip()
    if content_type == DICOM:
        wanted = q.get("transferSyntax", "1.2.840.10008.1.2.1")
        if not web_retrieve.convertible(str(row["transfer_syntax_uid"]), wanted):
            raise web.HTTPNotAcceptable(
                text=f"this instance cannot be sent in {wanted}: ask for an uncompressed syntax"
            )
        ctx = context(request)
        data, _ = await asyncio.to_thread(web_retrieve.part10, ctx, row, wanted)
        return web.Response(body=data, content_type=DICOM)
    if content_type not in MEDIA:
        raise web.HTTPNotAcceptable(
            text=f"contentType={content_type!r}: give application/dicom, image/jpeg or image/png"
        )
    window = None
    if "windowCenter" in q or "windowWidth" in q:
        window = _window(f"{q.get('windowCenter', '')},{q.get('windowWidth', '')}")
    size = None
    if "columns" in q or "rows" in q:
        size = _viewport(f"{q.get('columns', '8192')},{q.get('rows', '8192')}")
    how = Rendering(content_type, window, size, _quality(q.get("imageQuality")))
    frame = q.get("frameNumber", "1")
    if not frame.isdigit() or int(frame) < 1:
        raise web.HTTPBadRequest(text=f"frameNumber={frame!r}: give a frame number from 1")
    return await _image(request, row, int(frame), how, thumb=False)
