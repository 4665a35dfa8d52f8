"""Scenario rules at the ``http`` phase: a DICOMweb request that a rule matches is delayed,
hung, answered with another status, cut off, throttled, or its answer changed (QIDO-RS matches
truncated or repeated, a multipart part left out or repeated, another Content-Type).

The decision is taken once per request, after access checks, before the request is served;
what changes the answer's bytes (``close`` after N bytes, ``throttle``) is done as the answer
is written, by :func:`deliver`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from emulator.dicomweb.base import Handler, context, prefix
from emulator.dicomweb.journaling import RECORD, service_of
from emulator.scenario.engine import Decision, Engine, Event

log = logging.getLogger("emulator.dicomweb")

TICK = 0.05  # seconds between looks at a reset or a peer that left, while delaying or hanging


@dataclass(slots=True)
class Wire:
    """How an answer's bytes go out: at most *bytes_per_s* (0: full speed), cut after
    *cut_after* bytes of body (None: never) with a FIN or a reset."""

    bytes_per_s: int = 0
    cut_after: int | None = None
    mode: str = "fin"
    sent: int = 0


@dataclass(frozen=True, slots=True)
class Changes:
    """What a rule changes in the answer itself."""

    truncate: int | None = None  # QIDO-RS: matches kept
    duplicate: tuple[int, int] | None = None  # (1-based index, extra copies)
    drop_part: int | None = None  # WADO-RS: 1-based part left out
    content_type: str | None = None


WIRE: web.RequestKey[Wire] = web.RequestKey("dicomweb_wire")
CHANGES: web.RequestKey[Changes] = web.RequestKey("dicomweb_changes")


def changes(request: web.Request) -> Changes:
    """What the rule that fired for *request* changes in its answer (nothing if none did)."""
    return request.get(CHANGES) or Changes()


class CutOff(ConnectionResetError):
    """The connection was closed mid-answer, as a rule said."""


def _close(request: web.Request, mode: str) -> None:
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if mode == "reset" and sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.close()


async def deliver(request: web.Request, response: web.StreamResponse, data: bytes) -> None:
    """Write *data* as the rules in force for *request* say (at once when none)."""
    wire = request.get(WIRE)
    if wire is None:
        await response.write(data)
        return
    view = memoryview(data)
    while view:
        room = len(view)
        if wire.cut_after is not None:
            room = min(room, wire.cut_after - wire.sent)
        chunk = min(room, max(1, int(wire.bytes_per_s * TICK))) if wire.bytes_per_s else room
        if chunk > 0:
            await response.write(bytes(view[:chunk]))
            wire.sent += chunk
            view = view[chunk:]
        if wire.cut_after is not None and wire.sent >= wire.cut_after:
            _close(request, wire.mode)
            raise CutOff(f"closed after {wire.sent} bytes, as a scenario rule says")
        if wire.bytes_per_s and view:
            await asyncio.sleep(chunk / wire.bytes_per_s)


async def _wait(engine: Engine, request: web.Request, seconds: float | None) -> None:
    """Wait *seconds* (None: until the peer leaves), ending early on a reset or a stop."""
    deadline = None if seconds is None else time.monotonic() + seconds
    while deadline is None or time.monotonic() < deadline:
        if engine.cancelled.is_set():
            return
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        left = TICK if deadline is None else min(TICK, deadline - time.monotonic())
        await asyncio.sleep(max(left, 0))


Act = Callable[[web.Request, Handler, Decision, Engine], Awaitable[web.StreamResponse]]


async def _pass(request: web.Request, handler: Handler, d: Decision, e: Engine) -> Any:
    return await handler(request)


async def _delay(request: web.Request, handler: Handler, d: Decision, e: Engine) -> Any:
    await _wait(e, request, d.delay_ms / 1000)
    return await handler(request)


async def _hang(request: web.Request, handler: Handler, d: Decision, e: Engine) -> Any:
    await _wait(e, request, d.delay_ms / 1000 if "ms" in d.params else None)
    _close(request, "fin")
    raise CutOff("hung up without an answer, as a scenario rule says")


async def _close_action(request: web.Request, handler: Handler, d: Decision, e: Engine) -> Any:
    mode = str(d.params.get("mode", "fin"))
    after = d.params.get("after_bytes")
    if not after:
        _close(request, mode)
        raise CutOff("closed without an answer, as a scenario rule says")
    request[WIRE] = Wire(cut_after=int(after), mode=mode)
    return await handler(request)


async def _throttle(request: web.Request, handler: Handler, d: Decision, e: Engine) -> Any:
    request[WIRE] = Wire(bytes_per_s=int(d.params["bytes_per_s"]))
    return await handler(request)


async def _status(request: web.Request, handler: Handler, d: Decision, e: Engine) -> Any:
    code = int(d.params["code"])
    headers = {}
    if "retry_after" in d.params:
        headers["Retry-After"] = str(int(d.params["retry_after"]))
    if "body" in d.params:
        body = str(d.params["body"]).encode()
        content_type = str(d.params.get("content_type", "text/plain"))
    else:
        detail = f"scenario rule {d.rule} answers {code}"
        reason = web.Response(status=code).reason
        body = json.dumps({"error": reason, "detail": detail, "status": code}).encode()
        content_type = str(d.params.get("content_type", "application/json"))
    headers["Content-Type"] = content_type
    return web.Response(status=code, body=body, headers=headers)


async def _change(request: web.Request, handler: Handler, d: Decision, e: Engine) -> Any:
    p = d.params
    if d.action == "truncate":
        request[CHANGES] = Changes(truncate=int(p["after"]))
    elif d.action == "duplicate":
        request[CHANGES] = Changes(duplicate=(int(p.get("index", 1)), int(p.get("times", 1))))
    elif d.action == "drop_part":
        request[CHANGES] = Changes(drop_part=int(p.get("part", 1)))
    else:  # content_type
        request[CHANGES] = Changes(content_type=str(p["value"]))
    response = await handler(request)
    if d.action == "content_type" and not response.prepared:
        response.headers["Content-Type"] = str(p["value"])
    return response


# Every action of the http phase (the registry's; a spec holds them to it).
HTTP_ACTIONS: dict[str, Act] = {
    "pass": _pass,
    "delay": _delay,
    "hang": _hang,
    "close": _close_action,
    "throttle": _throttle,
    "http_status": _status,
    "truncate": _change,
    "duplicate": _change,
    "drop_part": _change,
    "content_type": _change,
}


async def _through_wire(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """A plain answer written through :func:`deliver` (so that a cut or throttle applies)."""
    if request.get(WIRE) is None or response.prepared or not isinstance(response, web.Response):
        return response
    body = response.body if isinstance(response.body, bytes) else b""
    stream = web.StreamResponse(status=response.status, headers=response.headers)
    stream.content_length = len(body)
    await stream.prepare(request)
    await deliver(request, stream, body)
    await stream.write_eof()
    return stream


@web.middleware
async def faults_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    service = service_of(request)
    engine = context(request).scenario.engine if service is not None else None
    if service is None or engine is None:
        return await handler(request)
    event = Event(
        "http",
        service=service,
        peer=str(request.remote or ""),
        method=request.method,
        path=request.path[len(prefix(request)) :],
        accept=request.headers.get("Accept", ""),
        query={k: v for k, v in request.query.items()},
    )
    decision = engine.decide(event)
    if decision is None:
        return await handler(request)
    log.info("%s %s %s: rule %s fires", service, request.method, request.path, decision.label)
    _note(request, decision)
    response = await HTTP_ACTIONS[decision.action](request, handler, decision, engine)
    return await _through_wire(request, response)


def _note(request: web.Request, decision: Decision) -> None:
    """The rule that fired, in the request's journal record."""
    record = request.get(RECORD)
    if record is not None:
        context(request).journal.update(record, fault=decision.label)
