"""Deleting studies, series and instances over DICOMweb (as Orthanc, dcm4chee and the cloud
archives offer it; PS3.18 defines no such transaction): ``DELETE`` on the resource, for a
``test_write`` token. Received and fabricated instances alike, their files too."""

from __future__ import annotations

import asyncio

from aiohttp import web

from emulator.admin.views import EMULATOR
from emulator.dicomweb.journaling import MATCHES
from storage import is_valid_uid


async def delete(request: web.Request) -> web.Response:
    """DELETE /studies/{study}[/series/{series}[/instances/{instance}]]: 204, or 404."""
    info = request.match_info
    study, series, instance = info["study"], info.get("series"), info.get("instance")
    bad = [uid for uid in (study, series, instance) if uid is not None and not is_valid_uid(uid)]
    if bad:
        raise web.HTTPBadRequest(text=f"{bad[0]!r} is not a UID")
    archive = request.app[EMULATOR].archive
    removed = await asyncio.to_thread(archive.delete, study, series, instance)
    request[MATCHES] = removed
    if not removed:
        raise web.HTTPNotFound(text=f"nothing to delete at {request.path}")
    return web.Response(status=204)
