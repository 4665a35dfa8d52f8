"""One small async view per admin route; no business logic here."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING

from aiohttp import web

from emulator.admin.bodies import read_json, read_text
from emulator.admin.params import int_param, next_after, paging
from emulator.errors import AcquisitionRefused
from emulator.version import __version__

if TYPE_CHECKING:
    from emulator.admin.target import AdminTarget

EMULATOR: web.AppKey[AdminTarget] = web.AppKey("emulator")


async def health(request: web.Request) -> web.Response:
    """GET /api/health"""
    return web.json_response(await asyncio.to_thread(request.app[EMULATOR].health))


async def openapi(request: web.Request) -> web.Response:
    """GET /api/openapi.json"""
    from emulator.admin.app import ROUTES, needed_role
    from emulator.admin.openapi import document

    return web.json_response(document(ROUTES, needed_role))


async def version(request: web.Request) -> web.Response:
    """GET /api/version"""
    return web.json_response({"version": __version__})


async def reset(request: web.Request) -> web.Response:
    """POST /api/reset [{"keep": [parts]}]"""
    body = await read_json(request, empty={}, shape='{"keep": [parts]} or empty')
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text='the body is {"keep": [parts]} or empty')
    keep = body.get("keep", [])
    if not isinstance(keep, list) or not all(isinstance(part, str) for part in keep):
        raise web.HTTPBadRequest(text='"keep" is a list of part names')
    return web.json_response(await asyncio.to_thread(request.app[EMULATOR].reset, keep))


async def shutdown(request: web.Request) -> web.Response:
    """POST /api/shutdown: answer, then stop as SIGTERM does."""
    request.app[EMULATOR].request_shutdown()
    return web.json_response({"stopping": True}, status=202)


async def remote_aes(request: web.Request) -> web.Response:
    """GET /api/remote-aes"""
    remotes = request.app[EMULATOR].remote_aes.all()
    return web.json_response({"remote_aes": [remote.as_dict() for remote in remotes]})


async def config(request: web.Request) -> web.Response:
    """GET /api/config"""
    return web.json_response(request.app[EMULATOR].config_dict())


async def worklist_list(request: web.Request) -> web.Response:
    """GET /api/worklist"""
    limit, after = paging(request)
    worklist = request.app[EMULATOR].archive.worklist
    items = await asyncio.to_thread(worklist.items, limit, after)
    body = {
        "items": [item.summary() for item in items],
        "next": next_after([item.pk for item in items], limit),
    }
    return web.json_response(body)


async def worklist_add(request: web.Request) -> web.Response:
    """POST /api/worklist"""
    body = await read_json(request, shape="a DICOM JSON worklist item or a list of them")
    ids = await asyncio.to_thread(request.app[EMULATOR].archive.add_worklist_items, body, "api")
    return web.json_response({"ids": ids}, status=201)


async def worklist_get(request: web.Request) -> web.Response:
    """GET /api/worklist/{id}"""
    pk = int_param(request, "id", 0, where="path")
    item = await asyncio.to_thread(request.app[EMULATOR].archive.worklist.get, pk)
    if item is None:
        raise web.HTTPNotFound(text=f"no worklist item {pk}")
    return web.json_response(item.summary())


async def worklist_acquire(request: web.Request) -> web.Response:
    """POST /api/worklist/{id}/acquire"""
    pk = int_param(request, "id", 0, where="path")
    shape = 'a JSON object {"send_to": "remote AE name", "commit": true}, or nothing'
    body = await read_json(request, empty={}, shape=shape)
    if not isinstance(body, dict) or set(body) - {"send_to", "commit"}:
        raise web.HTTPBadRequest(text=f"the body is {shape}")
    send_to, commit = body.get("send_to", ""), body.get("commit", False)
    if not isinstance(send_to, str) or not isinstance(commit, bool):
        raise web.HTTPBadRequest(text=f"the body is {shape}")
    try:
        made = await asyncio.to_thread(request.app[EMULATOR].archive.acquire, pk, send_to, commit)
    except LookupError as exc:
        raise web.HTTPNotFound(text=str(exc)) from exc
    except AcquisitionRefused as exc:
        raise web.HTTPConflict(text=str(exc)) from exc
    return web.json_response(dataclasses.asdict(made), status=201)


async def worklist_delete(request: web.Request) -> web.Response:
    """DELETE /api/worklist/{id}"""
    pk = int_param(request, "id", 0, where="path")
    if not await asyncio.to_thread(request.app[EMULATOR].archive.worklist.delete, pk):
        raise web.HTTPNotFound(text=f"no worklist item {pk}")
    return web.Response(status=204)


async def mpps_list(request: web.Request) -> web.Response:
    """GET /api/mpps"""
    limit, after = paging(request)
    steps = await asyncio.to_thread(
        request.app[EMULATOR].archive.procedure_steps.steps, limit, after
    )
    body = {
        "steps": [{"id": pk, **step.summary()} for pk, step in steps],
        "next": next_after([pk for pk, _ in steps], limit),
    }
    return web.json_response(body)


async def mpps_get(request: web.Request) -> web.Response:
    """GET /api/mpps/{uid}"""
    uid = request.match_info["uid"]
    step = await asyncio.to_thread(request.app[EMULATOR].archive.procedure_steps.get, uid)
    if step is None:
        raise web.HTTPNotFound(text=f"no performed procedure step {uid}")
    return web.json_response(step.summary())


async def commitments(request: web.Request) -> web.Response:
    """GET /api/commitments"""
    limit, after = paging(request)
    rows = await asyncio.to_thread(request.app[EMULATOR].archive.commitments.all, limit, after)
    body = {
        "commitments": [row.summary() for row in rows],
        "next": next_after([row.pk for row in rows], limit),
    }
    return web.json_response(body)


async def commitment_get(request: web.Request) -> web.Response:
    """GET /api/commitments/{id}"""
    pk = int_param(request, "id", 0, where="path")
    row = await asyncio.to_thread(request.app[EMULATOR].archive.commitments.get, pk)
    if row is None:
        raise web.HTTPNotFound(text=f"no commitment request {pk}")
    return web.json_response(row.summary())


async def hl7_order(request: web.Request) -> web.Response:
    """POST /api/hl7"""
    text = await read_text(request)
    result = await asyncio.to_thread(request.app[EMULATOR].receive_hl7, text, "api")
    body = {
        "ack_code": result.ack_code,
        "ack": result.ack,
        "order_control": result.control,
        "accession_number": result.accession,
        "worklist_ids": result.worklist_ids,
        "removed": result.removed,
    }
    if result.ack_code == "AA":
        return web.json_response(body)
    refused = "HL7 order refused" if result.ack_code == "AE" else "HL7 message rejected"
    detail = f"{refused} ({result.ack_code}): {result.detail}"
    return web.json_response(
        {"error": "Bad Request", "detail": detail, "status": 400, **body}, status=400
    )
