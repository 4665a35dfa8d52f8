"""Admin-only views over the local user accounts (the console's Users page): list, add, change
the role or password, remove. Passwords go in, never out; the answers show names and roles."""

from __future__ import annotations

import asyncio

from aiohttp import web

from emulator.admin.bodies import read_json
from emulator.admin.sessions import SESSIONS
from emulator.services.accounts import AccountError


async def users_list(request: web.Request) -> web.Response:
    """GET /api/users"""
    users = request.app[SESSIONS].accounts.users.all()
    return web.json_response({"users": [user.summary() for user in users]})


async def user_add(request: web.Request) -> web.Response:
    """POST /api/users {name, role, password}"""
    body = await read_json(request, shape='a JSON object {"name", "role", "password"}')
    fields = body if isinstance(body, dict) else {}
    name, role, password = (fields.get(key) for key in ("name", "role", "password"))
    if not (isinstance(name, str) and isinstance(role, str) and isinstance(password, str)):
        raise web.HTTPBadRequest(text='send {"name": "...", "role": "...", "password": "..."}')
    accounts = request.app[SESSIONS].accounts
    try:
        user = await asyncio.to_thread(accounts.add, name, role, password)
    except AccountError as exc:
        status = web.HTTPConflict if "already" in str(exc) else web.HTTPBadRequest
        raise status(text=str(exc)) from None
    return web.json_response(user.summary(), status=201)


async def user_change(request: web.Request) -> web.Response:
    """PUT /api/users/{name} {role?, password?}"""
    name = request.match_info["name"]
    body = await read_json(request, shape='a JSON object {"role"} or {"password"}')
    fields = body if isinstance(body, dict) else {}
    role, password = fields.get("role"), fields.get("password")
    if (
        not isinstance(role, str | None)
        or not isinstance(password, str | None)
        or not (role or password)
    ):
        raise web.HTTPBadRequest(text='send {"role": "..."} and/or {"password": "..."}')
    accounts = request.app[SESSIONS].accounts
    try:
        if role:
            await asyncio.to_thread(accounts.set_role, name, role)
        if password:
            await asyncio.to_thread(accounts.set_password, name, password)
    except AccountError as exc:
        status = web.HTTPNotFound if "no user" in str(exc) else web.HTTPBadRequest
        raise status(text=str(exc)) from None
    user = accounts.users.get(name)
    assert user is not None
    return web.json_response(user.summary())


async def user_delete(request: web.Request) -> web.Response:
    """DELETE /api/users/{name}: the user, and with them their sessions."""
    try:
        request.app[SESSIONS].accounts.remove(request.match_info["name"])
    except AccountError as exc:
        raise web.HTTPNotFound(text=str(exc)) from None
    return web.Response(status=204)


ROUTES = [
    ("GET", "/api/users", users_list, "the local user accounts (admin)"),
    ("POST", "/api/users", user_add, "add a local user (admin)"),
    ("PUT", "/api/users/{name}", user_change, "change a user's role or password (admin)"),
    ("DELETE", "/api/users/{name}", user_delete, "remove a user (admin)"),
]
