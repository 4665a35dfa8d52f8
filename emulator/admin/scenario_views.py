"""Admin views that control the scenario: show, replace, validate, reset, reload, delete, and
add or remove single rules at run time."""

from __future__ import annotations

import asyncio

from aiohttp import web

from emulator.admin.bodies import read_text
from emulator.admin.views import EMULATOR

BODY = "body"  # how problems name a scenario sent in a request
NONE_ACTIVE = (
    "no scenario is active: PUT /api/scenario with YAML or JSON, or start with --scenario FILE"
)


async def scenario_get(request: web.Request) -> web.Response:
    """GET /api/scenario"""
    active = request.app[EMULATOR].scenario
    summary = active.summary()
    if summary is None:
        raise web.HTTPNotFound(text=NONE_ACTIVE)
    return web.json_response({**summary, "document": active.document()})


async def scenario_put(request: web.Request) -> web.Response:
    """PUT /api/scenario: validate, then swap in atomically (the old one stays on problems)."""
    text = await read_text(request)
    active = request.app[EMULATOR].scenario
    await asyncio.to_thread(active.replace, text, BODY)
    return web.json_response(active.summary())


async def scenario_validate(request: web.Request) -> web.Response:
    """POST /api/scenario/validate: check without activating."""
    from emulator.scenario.loader import parse  # jsonschema and PyYAML: only when used

    data = await asyncio.to_thread(parse, await read_text(request), BODY)
    return web.json_response({"valid": True, "name": data["name"], "rules": len(data["rules"])})


async def scenario_delete(request: web.Request) -> web.Response:
    """DELETE /api/scenario: no rule fires any more."""
    request.app[EMULATOR].scenario.clear()
    return web.Response(status=204)


async def scenario_reset(request: web.Request) -> web.Response:
    """POST /api/scenario/reset: counters, draws and stages start over."""
    active = request.app[EMULATOR].scenario
    if active.engine is None:
        raise web.HTTPNotFound(text=NONE_ACTIVE)
    active.reset()
    return web.json_response(active.summary())


async def scenario_reload(request: web.Request) -> web.Response:
    """POST /api/scenario/reload: read the --scenario file again."""
    active = request.app[EMULATOR].scenario
    try:
        await asyncio.to_thread(active.reload)
    except LookupError as exc:
        raise web.HTTPConflict(text=str(exc)) from None
    return web.json_response(active.summary())


async def rule_add(request: web.Request) -> web.Response:
    """POST /api/scenario/rules[?at=start|end]: one rule, tried first unless at=end."""
    at = request.query.get("at", "start")
    if at not in ("start", "end"):
        raise web.HTTPBadRequest(text=f"at must be start or end, got {at!r}")
    text = await read_text(request)
    active = request.app[EMULATOR].scenario
    rule_id = await asyncio.to_thread(active.add_rule, text, at == "start", BODY)
    return web.json_response({"id": rule_id, "scenario": active.summary()}, status=201)


async def rule_delete(request: web.Request) -> web.Response:
    """DELETE /api/scenario/rules/{id}"""
    rule_id = request.match_info["id"]
    if not request.app[EMULATOR].scenario.remove_rules(rule_id=rule_id):
        raise web.HTTPNotFound(text=f"no rule {rule_id!r} in the scenario in force")
    return web.Response(status=204)


async def rules_delete(request: web.Request) -> web.Response:
    """DELETE /api/scenario/rules?label=L: every rule with that label."""
    label = request.query.get("label")
    if not label:
        raise web.HTTPBadRequest(text="give ?label=L (or DELETE /api/scenario/rules/{id})")
    removed = request.app[EMULATOR].scenario.remove_rules(label=label)
    return web.json_response({"removed": removed})
