"""Admin views over the archive's data: studies, instances (upload, download), fabrication,
and the remote AE registry."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from emulator.admin.bodies import read_json
from emulator.admin.jobs import JOBS
from emulator.admin.params import next_after, paging
from emulator.admin.uploads import ADMIN_LIMITS, dicom_parts
from emulator.admin.views import EMULATOR
from emulator.errors import EXPECTED, FabricationConflict
from emulator.remotes import from_table
from emulator.services.fabrication import job_from_json
from storage import StorageError, StorageFull

DICOM = "application/dicom"
_PAGING = ("limit", "after")


async def studies_list(request: web.Request) -> web.Response:
    """GET /api/studies?patient_id=&patient_name=&accession_number=&study_date=&modality="""
    limit, after = paging(request)
    filters = {k: v for k, v in request.query.items() if k not in _PAGING}
    try:
        rows = await asyncio.to_thread(request.app[EMULATOR].archive.studies, filters, limit, after)
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return web.json_response({"studies": rows, "next": next_after([r["id"] for r in rows], limit)})


async def study_get(request: web.Request) -> web.Response:
    """GET /api/studies/{uid}"""
    uid = request.match_info["uid"]
    found = await asyncio.to_thread(request.app[EMULATOR].archive.study, uid)
    if found is None:
        raise web.HTTPNotFound(text=f"no study {uid}")
    return web.json_response(found)


async def study_delete(request: web.Request) -> web.Response:
    """DELETE /api/studies/{uid}: the study, its files, and parents left empty."""
    uid = request.match_info["uid"]
    if not await asyncio.to_thread(request.app[EMULATOR].archive.delete_study, uid):
        raise web.HTTPNotFound(text=f"no study {uid}")
    return web.Response(status=204)


async def instances_upload(request: web.Request) -> web.Response:
    """POST /api/instances: store Part 10 files as C-STORE would (same checks, atomic)."""
    emulator = request.app[EMULATOR]
    stored: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    try:
        async for data in dicom_parts(request, ADMIN_LIMITS):
            try:
                outcome = await asyncio.to_thread(emulator.archive.import_instance, data, "api")
            except EXPECTED as exc:  # bad input, a full disk: that part fails, the rest goes on
                failed.append({"part": len(stored) + len(failed), "error": str(exc)})
                continue
            record = outcome.record
            stored.append(
                {
                    "sop_instance_uid": record.sop_instance_uid,
                    "study_uid": record.study_instance_uid,
                    "replaced": outcome.replaced,
                }
            )
    except web.HTTPException as exc:  # the body broke off: say what was stored before
        if not stored and not failed:
            raise
        detail = f"{exc.text}; the parts before it are as listed"
        body = {"error": exc.reason, "detail": detail, "status": exc.status}
        return web.json_response({**body, "stored": stored, "failed": failed}, status=exc.status)
    body = {"stored": stored, "failed": failed}
    if failed:
        detail = f"{len(failed)} of {len(failed) + len(stored)} parts not stored"
        return web.json_response(
            {"error": "Bad Request", "detail": detail, "status": 400, **body}, status=400
        )
    return web.json_response(body, status=201)


async def instance_get(request: web.Request) -> web.Response:
    """GET /api/instances/{uid}[?format=json]: the Part 10 file (fabricated ones synthesized),
    or its header as DICOM JSON."""
    archive = request.app[EMULATOR].archive
    uid = request.match_info["uid"]
    if not await asyncio.to_thread(archive.has_instance, uid):
        raise web.HTTPNotFound(text=f"no instance {uid}")
    fmt = request.query.get("format", "dicom")
    if fmt not in ("dicom", "json"):
        raise web.HTTPBadRequest(text=f"format is dicom or json, not {fmt!r}")
    if fmt == "json":
        header = await asyncio.to_thread(archive.instance_header, uid)
        if header is None:
            raise web.HTTPNotFound(text=f"no instance {uid}")
        return web.json_response(header.to_json_dict(bulk_data_threshold=1024))
    data = await asyncio.to_thread(archive.instance_part10, uid)
    if data is None:
        raise web.HTTPNotFound(text=f"no instance {uid}")
    disposition = f'attachment; filename="{uid}.dcm"'
    return web.Response(body=data, content_type=DICOM, headers={"Content-Disposition": disposition})


async def fabricate(request: web.Request) -> web.Response:
    """POST /api/fabricate"""
    body = await read_json(request, empty={}, shape="a JSON object of fabrication fields")
    emulator = request.app[EMULATOR]
    background = isinstance(body, dict) and body.pop("background", False) is True
    try:
        job = job_from_json(body, emulator.config.admin.max_fabricate_instances)
    except (ValueError, TypeError) as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    if background:  # the console's progress bar polls GET /api/jobs/{id}
        task = request.app[JOBS].start(request, job)
        return web.json_response(task.as_dict(), status=202)
    try:
        created = await asyncio.to_thread(emulator.archive.fabricate_report, job)
    except FabricationConflict as exc:
        raise web.HTTPConflict(text=str(exc)) from None
    except StorageFull:
        raise  # 507, from the error boundary
    except StorageError as exc:  # a spec storage cannot make (an encoder that is missing)
        raise web.HTTPBadRequest(text=str(exc)) from None
    return web.json_response(created, status=201)


async def remote_ae_put(request: web.Request) -> web.Response:
    """PUT /api/remote-aes/{name} {ae_title, host, port, tls, ca_file, commitment_mode,
    commitment_delay}"""
    name = request.match_info["name"]
    table = await read_json(request, shape="a JSON object of remote AE fields")
    remote, problems = from_table(name, table, None)
    if remote is None or problems:
        raise web.HTTPBadRequest(text="; ".join(problems) or "not a remote AE")
    try:
        request.app[EMULATOR].remote_aes.put(remote)
    except ValueError as exc:
        raise web.HTTPConflict(text=str(exc)) from None
    return web.json_response(remote.as_dict())


async def remote_ae_delete(request: web.Request) -> web.Response:
    """DELETE /api/remote-aes/{name}"""
    name = request.match_info["name"]
    if not request.app[EMULATOR].remote_aes.remove(name):
        raise web.HTTPNotFound(text=f"no remote AE named {name!r}")
    return web.Response(status=204)
