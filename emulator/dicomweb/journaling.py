"""One journal record and one log line per DICOMweb request: what was asked (method, path,
query, Accept), how it was answered (status, matches, bytes each way, duration)."""

from __future__ import annotations

import json
import logging
import time

from aiohttp import web

from emulator.admin.views import EMULATOR
from emulator.dicomweb.base import Handler, prefix
from emulator.journal import HttpRecord

log = logging.getLogger("emulator.dicomweb")

RECORD: web.RequestKey[HttpRecord] = web.RequestKey("dicomweb_record")
MATCHES: web.RequestKey[int] = web.RequestKey("dicomweb_matches")
_SEARCHES = ("/studies", "/series", "/instances")


def service_of(request: web.Request) -> str | None:
    """QIDO-RS, WADO-RS or STOW-RS for a DICOMweb request, None for any other."""
    base = prefix(request)
    path = request.path
    if not path.startswith(base + "/"):
        return None
    rest = path[len(base) :]
    if request.method == "POST":
        return "STOW-RS"
    if request.method == "DELETE":
        return "DELETE"
    if rest == "/wado":
        return "WADO-URI"
    if rest in _SEARCHES or rest.endswith(("/series", "/instances")):
        return "QIDO-RS"
    return "WADO-RS"


def _detail(response: web.StreamResponse) -> str:
    body = getattr(response, "body", None)
    if response.status < 400 or not isinstance(body, bytes):
        return ""
    try:
        return str(json.loads(body).get("detail", ""))
    except (ValueError, AttributeError):
        return ""


def _aborted(request: web.Request, record: HttpRecord, exc: BaseException) -> None:
    ms = (time.monotonic() - record.clock) * 1000
    request.app[EMULATOR].journal.update(record, outcome="aborted", ms=ms, detail=str(exc))
    log.info("%s %s %s: aborted (%s)", record.service, request.method, request.path, exc)


@web.middleware
async def journal_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    service = service_of(request)
    if service is None:
        return await handler(request)
    journal = request.app[EMULATOR].journal
    record = journal.open_http(
        method=request.method,
        path=request.path,
        query=request.query_string,
        accept=request.headers.get("Accept", ""),
        service=service,
        peer=str(request.remote or ""),
    )
    request[RECORD] = record
    try:
        response = await handler(request)
    except ConnectionResetError as exc:  # the client went away, or a rule cut it off
        _aborted(request, record, exc)
        # never sent (the connection is closing): aiohttp finishes it quietly, no traceback
        return web.Response(status=503)
    except BaseException as exc:  # the server stops
        _aborted(request, record, exc)
        raise
    body = getattr(response, "body", None)
    sent = len(body) if isinstance(body, bytes) else response.body_length
    status = response.status
    outcome = "ok" if status < 400 else "failure" if status < 500 else "error"
    matches = request.get(MATCHES)
    journal.update(
        record,
        status=status,
        outcome=outcome,
        matches=matches,
        bytes_in=request.content.total_bytes,
        bytes_out=sent,
        ms=(time.monotonic() - record.clock) * 1000,
        detail=_detail(response),
    )
    log.info(
        "%s %s %s -> %d%s, %d bytes, %.1f ms",
        service,
        request.method,
        request.path,
        status,
        "" if matches is None else f", {matches} matches",
        sent,
        record.ms or 0.0,
    )
    return response
