"""One small async view per admin route; no business logic here."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from emulator.version import __version__

if TYPE_CHECKING:
    from emulator.app import Emulator

EMULATOR: web.AppKey[Emulator] = web.AppKey("emulator")


async def health(request: web.Request) -> web.Response:
    """GET /api/health"""
    return web.json_response(await asyncio.to_thread(request.app[EMULATOR].health))


async def version(request: web.Request) -> web.Response:
    """GET /api/version"""
    return web.json_response({"version": __version__})


async def remote_aes(request: web.Request) -> web.Response:
    """GET /api/remote-aes"""
    remotes = request.app[EMULATOR].remote_aes.all()
    return web.json_response({"remote_aes": [remote.as_dict() for remote in remotes]})


async def config(request: web.Request) -> web.Response:
    """GET /api/config"""
    return web.json_response(request.app[EMULATOR].config_dict())
