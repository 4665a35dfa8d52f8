"""WADO-RS (PS3.18 10.4): studies, series and instances as ``multipart/related`` of Part 10
files, their metadata as DICOM JSON, bulk data and frames."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from pydicom.uid import UID, ExplicitVRLittleEndian

from emulator.dicomweb.base import Handler, base_url, context
from emulator.dicomweb.faults import CutOff
from emulator.dicomweb.journaling import MATCHES
from emulator.dicomweb.media import (
    DICOM,
    DICOM_JSON,
    MULTIPART,
    OCTET_STREAM,
    dicom_representation,
    frame_media_type,
    parse_accept,
    wants_json,
)
from emulator.dicomweb.multipart import MultipartAnswer
from emulator.services import web_retrieve
from storage import InstanceNotFound, InvalidIdentifier

log = logging.getLogger("emulator.dicomweb")


def _uids(request: web.Request) -> tuple[str, str | None, str | None]:
    info = request.match_info
    return info["study"], info.get("series"), info.get("instance")


async def instances_of(
    request: web.Request, study: str, series: str | None = None, instance: str | None = None
) -> list[Any]:
    """The instances a resource names (counted as the request's matches): 400 for a
    malformed UID, 404 for none."""
    ctx = context(request)
    try:
        rows = await asyncio.to_thread(web_retrieve.select, ctx, study, series, instance)
    except InvalidIdentifier as exc:
        raise web.HTTPBadRequest(text=f"the resource's UIDs are not valid: {exc}") from None
    except InstanceNotFound as exc:
        raise web.HTTPNotFound(text=str(exc)) from None
    request[MATCHES] = len(rows)
    return rows


async def _select(request: web.Request) -> list[Any]:
    """The instances of the resource in the request's path."""
    return await instances_of(request, *_uids(request))


def _instance_url(request: web.Request, row: Any) -> str:
    study, series, _ = _uids(request)
    series = series or row["series_uid"]
    instance = row["sop_instance_uid"]
    return f"{base_url(request)}/studies/{study}/series/{series}/instances/{instance}"


async def _stream(request: web.Request, answer: MultipartAnswer, parts: Any) -> web.StreamResponse:
    """Send *parts* (an iterator of blocking calls giving (bytes, content type, location));
    a failure after the first byte ends the connection, as HTTP has no other way to say it."""
    try:
        for make in parts:
            data, content_type, location = await asyncio.to_thread(make)
            await answer.add(data, content_type, location)
    except CutOff:
        raise  # a scenario rule closed the connection: the journal records it as aborted
    except Exception as exc:
        if not answer.response.prepared:
            raise
        log.warning("WADO-RS %s broke off after %d parts: %s", request.path, answer.parts, exc)
        if request.transport is not None:
            request.transport.close()
        raise ConnectionResetError(f"broke off after {answer.parts} parts: {exc}") from exc
    return await answer.finish()


async def retrieve(request: web.Request) -> web.StreamResponse:
    """GET /studies/{study}[/series/{series}[/instances/{instance}]]"""
    wanted = dicom_representation(request)
    rows = await _select(request)
    stored = {str(r["transfer_syntax_uid"]) for r in rows}
    refused = sorted(s for s in stored if not web_retrieve.convertible(s, wanted))
    if refused:
        names = ", ".join(UID(s).name for s in refused)
        raise web.HTTPNotAcceptable(
            text=f"instances stored in {names} cannot be sent in {UID(wanted).name}: ask for"
            " transfer-syntax=* (as stored) or an uncompressed syntax"
        )
    ctx = context(request)

    def part(row: Any) -> Any:
        def make() -> tuple[bytes, str, str]:
            data, syntax = web_retrieve.part10(ctx, row, wanted)
            return data, f"{DICOM}; transfer-syntax={syntax}", _instance_url(request, row)

        return make

    return await _stream(request, MultipartAnswer(request, DICOM), (part(r) for r in rows))


def _bulk_uri(instance_url: str) -> Callable[[int], str]:
    """Where the bulk data of an instance's element is retrieved, by its tag."""
    return lambda tag: f"{instance_url}/bulkdata/{tag:08X}"


async def metadata(request: web.Request) -> web.Response:
    """GET .../metadata: the instances as DICOM JSON, bulk data as BulkDataURI."""
    wants_json(request)
    rows = await _select(request)
    ctx = context(request)

    def build() -> list[dict[str, Any]]:
        answer = []
        for row in rows:
            answer.append(web_retrieve.metadata(ctx, row, _bulk_uri(_instance_url(request, row))))
        return answer

    body = await asyncio.to_thread(build)
    return web.Response(body=json.dumps(body).encode(), content_type=DICOM_JSON)


def _octets(request: web.Request) -> bool:
    """Whether bulk data or frames go as stored (``transfer-syntax=*``, a compressed image
    type, or any type at the server's choice) rather than uncompressed octet streams; 406
    when ``Accept`` allows neither."""
    for accepted in parse_accept(request.headers.get("Accept")):
        if accepted.type in ("*/*", "multipart/*", MULTIPART):
            part = accepted.part_type or "*/*"
            if part == OCTET_STREAM:
                return accepted.params.get("transfer-syntax") == "*"
            if part == "*/*" or part.startswith(("image/", "video/")):
                return True
    raise web.HTTPNotAcceptable(
        text=f'this resource is {MULTIPART}; type="{OCTET_STREAM}"; Accept'
        f" {request.headers.get('Accept')!r} has none of it"
    )


async def bulkdata(request: web.Request) -> web.StreamResponse:
    """GET .../instances/{instance}/bulkdata/{tag}: one top-level binary value."""
    _octets(request)
    raw = request.match_info["tag"]
    if len(raw) != 8 or any(c not in "0123456789abcdefABCDEF" for c in raw):
        raise web.HTTPBadRequest(text=f"bulk data tag {raw!r}: give eight hex digits (7FE00010)")
    [row] = await _select(request)
    ctx = context(request)

    def make() -> tuple[bytes, str, str | None]:
        return web_retrieve.bulk_value(ctx, row, int(raw, 16)), OCTET_STREAM, None

    try:
        data = await asyncio.to_thread(make)
    except InstanceNotFound as exc:
        raise web.HTTPNotFound(text=str(exc)) from None
    answer = MultipartAnswer(request, OCTET_STREAM)
    return await _stream(request, answer, iter([lambda: data]))


def _frame_numbers(raw: str) -> list[int]:
    numbers = [n.strip() for n in raw.split(",")]
    if not numbers or not all(n.isdigit() and int(n) > 0 for n in numbers):
        raise web.HTTPBadRequest(text=f"frames {raw!r}: give frame numbers from 1, comma-separated")
    return [int(n) for n in numbers]


async def frames(request: web.Request) -> web.StreamResponse:
    """GET .../instances/{instance}/frames/{frames}"""
    as_stored = _octets(request)
    numbers = _frame_numbers(request.match_info["frames"])
    [row] = await _select(request)
    ctx = context(request)
    try:
        data = await asyncio.to_thread(web_retrieve.frames, ctx, row, numbers, as_stored)
    except InstanceNotFound as exc:
        raise web.HTTPNotFound(text=str(exc)) from None
    stored = str(row["transfer_syntax_uid"])
    if as_stored and UID(stored).is_compressed:
        content_type = f"{frame_media_type(stored)}; transfer-syntax={stored}"
    else:
        content_type = f"{OCTET_STREAM}; transfer-syntax={ExplicitVRLittleEndian}"
    answer = MultipartAnswer(request, OCTET_STREAM)
    url = _instance_url(request, row)
    makers = [
        (lambda d=d, n=n: (d, content_type, f"{url}/frames/{n}"))
        for d, n in zip(data, numbers, strict=True)
    ]
    return await _stream(request, answer, iter(makers))


VIEWS: dict[str, Handler] = {
    "retrieve": retrieve,
    "metadata": metadata,
    "bulkdata": bulkdata,
    "frames": frames,
}
