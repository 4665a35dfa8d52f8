"""Admin views over the request journal: list and filter, count, one entry, wait, clear."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from emulator.admin.bodies import read_json
from emulator.admin.params import integer
from emulator.admin.views import EMULATOR
from emulator.journal import PATTERN_FIELDS, AssociationRecord, Record, RequestJournal, matches
from emulator.scenario.keywords import sop_uid

KINDS = tuple(PATTERN_FIELDS)
INT_FIELDS = frozenset({"status", "association", "message_id"})
MAX_WAIT_MS = 300_000
_POLL = 0.02  # seconds between checks of a long-polled wait
_STREAM_POLL = 0.05  # seconds between looks at the journal for a live stream
_KEEPALIVE = 15.0  # seconds of silence before a stream sends a comment


def _integer(name: str, raw: Any) -> int:
    return integer(name, raw, hex_ok=True)  # statuses are written 0xA700 as often as not


def _value(key: str, raw: Any) -> Any:
    if key == "sop_class":
        return sop_uid(str(raw))  # a keyword such as CTImageStorage, or a UID (glob)
    return _integer(key, raw) if key in INT_FIELDS else raw


def pattern_of(fields: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(kind, pattern) from query parameters or a JSON body; 400 naming the known fields."""
    kind = str(fields.get("kind", "message"))
    if kind not in KINDS:
        raise web.HTTPBadRequest(text=f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    known = PATTERN_FIELDS[kind]
    pattern = {k: v for k, v in fields.items() if k not in ("kind", "since", "limit")}
    unknown = sorted(set(pattern) - known)
    if unknown:
        raise web.HTTPBadRequest(
            text=f"unknown {kind} field {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return kind, {k: _value(k, v) for k, v in pattern.items()}


def _selected(request: web.Request, fields: Mapping[str, Any]) -> list[Record]:
    kind, pattern = pattern_of(fields)
    return request.app[EMULATOR].journal.select(kind, pattern)


async def journal_list(request: web.Request) -> web.Response:
    """GET /api/journal?kind=&<field>=&since=&limit="""
    records = _selected(request, request.query)
    since = _integer("since", request.query.get("since", 0))
    limit = _integer("limit", request.query.get("limit", 100))
    if not 1 <= limit <= 1000:
        raise web.HTTPBadRequest(text=f"limit must be from 1 to 1000, got {limit}")
    page = [r for r in records if r.id > since][:limit]
    more = len([r for r in records if r.id > since]) > limit
    return web.json_response(
        {
            "entries": [record.as_dict() for record in page],
            "count": len(records),
            "next": page[-1].id if more else None,
        }
    )


async def journal_count(request: web.Request) -> web.Response:
    """GET /api/journal/count?kind=&<field>="""
    return web.json_response({"count": len(_selected(request, request.query))})


async def journal_entry(request: web.Request) -> web.Response:
    """GET /api/journal/{id}"""
    record_id = _integer("id", request.match_info["id"])
    record = request.app[EMULATOR].journal.get(record_id)
    if record is None:
        raise web.HTTPNotFound(text=f"no journal entry {record_id} (never made, or cleared)")
    return web.json_response(record)


async def journal_wait(request: web.Request) -> web.Response:
    """POST /api/journal/wait {kind, pattern, count, timeout_ms}: long-poll until at least
    *count* entries match; 408 with the count reached if the timeout passes first."""
    body = await read_json(request, shape='a JSON object {"pattern": {...}, "count": N}')
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text='the body is a JSON object: {"pattern": {...}, "count": N}')
    pattern = body.get("pattern") or {}
    if not isinstance(pattern, dict):
        raise web.HTTPBadRequest(text='"pattern" is a JSON object of journal fields')
    fields = {"kind": body.get("kind", "message"), **pattern}
    wanted = _integer("count", body.get("count", 1))
    timeout_ms = _integer("timeout_ms", body.get("timeout_ms", 5000))
    if not 0 <= timeout_ms <= MAX_WAIT_MS:
        raise web.HTTPBadRequest(text=f"timeout_ms must be 0 to {MAX_WAIT_MS}, got {timeout_ms}")
    deadline = time.monotonic() + timeout_ms / 1000
    while (found := len(_selected(request, fields))) < wanted:
        if time.monotonic() >= deadline:
            return web.json_response(
                {
                    "error": "Request Timeout",
                    "detail": f"{found} of {wanted} matching entries after {timeout_ms} ms",
                    "status": 408,
                    "count": found,
                },
                status=408,
            )
        await asyncio.sleep(_POLL)
    return web.json_response({"count": found})


async def journal_clear(request: web.Request) -> web.Response:
    """DELETE /api/journal"""
    request.app[EMULATOR].journal.clear()
    return web.Response(status=204)


def _finished(record: Record) -> bool:
    """A message or request that was answered, an association that ended."""
    if isinstance(record, AssociationRecord):
        return record.ended is not None
    return record.ms is not None


_RETRY_MS = 1000  # how soon a browser reconnects a stream that broke (SSE ``retry:``)


def _resume_point(request: web.Request) -> int:
    """Where a stream starts: after ``Last-Event-ID`` when a browser reconnects (the resume
    point of the last event it got), else after ``?since`` (0: the whole journal held)."""
    last = request.headers.get("Last-Event-ID", "").strip()
    if last:
        return _integer("Last-Event-ID", last)
    return _integer("since", request.query.get("since", 0))


def _events(
    journal: RequestJournal, kind: str, pattern: Mapping[str, Any], floor: int, sent: set[int]
) -> tuple[str, int]:
    """One look at the journal after *floor*: the SSE text of each record finished since and
    not *sent* yet, and the new floor. Records are made in id order but finish out of order,
    so the floor stays below the oldest record still unfinished (a message being answered),
    whatever it will match once finished, and a live stream pays for what is new only.

    Every event carries the new floor as its ``id``: a browser that reconnects sends it back
    as ``Last-Event-ID`` and misses nothing (what it saw above the floor comes again, with
    the record's own id in the data for it to drop)."""
    records = journal.select(kind, {}, after=floor)
    unfinished = [record.id for record in records if not _finished(record)]
    new_floor = min(unfinished) - 1 if unfinished else (records[-1].id if records else floor)
    text = []
    for record in records:
        if record.id not in sent and _finished(record) and matches(record, pattern):
            text.append(f"id: {new_floor}\ndata: {json.dumps(record.as_dict())}\n\n")
            sent.add(record.id)
    sent.intersection_update({record.id for record in records if record.id > new_floor})
    return "".join(text), new_floor


async def journal_stream(request: web.Request) -> web.StreamResponse:
    """GET /api/journal/stream?kind=&<field>=&since=: Server-Sent Events, one ``data:`` line
    of JSON per record as it is finished (answered, or the association ended), live; a
    browser's reconnection resumes where it broke (``Last-Event-ID``)."""
    fields = {k: v for k, v in request.query.items() if k != "since"}
    kind, pattern = pattern_of(fields)
    floor = _resume_point(request)
    journal = request.app[EMULATOR].journal
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    await response.write(f"retry: {_RETRY_MS}\n\n".encode())
    sent = set[int]()
    seen, quiet = -1, 0.0
    while request.transport is not None and not request.transport.is_closing():
        if journal.changes != seen:
            seen = journal.changes
            text, floor = _events(journal, kind, pattern, floor, sent)
            if text:
                await response.write(text.encode())
            quiet = 0.0
        elif quiet >= _KEEPALIVE:
            await response.write(b": keep-alive\n\n")  # also notices a client that left
            quiet = 0.0
        await asyncio.sleep(_STREAM_POLL)
        quiet += _STREAM_POLL
    return response  # the client left
