"""Request parameters every admin view reads alike: integers (ids, counts, statuses) and the
paging of listings (``?limit`` and ``?after``), each a 400 naming the parameter when wrong."""

from __future__ import annotations

from typing import Any

from aiohttp import web


def integer(name: str, raw: Any, hex_ok: bool = False) -> int:
    """*raw* (text, or already an int from JSON) as an id, count or status that SQLite's
    INTEGER holds; 400 naming *name* otherwise. *hex_ok* also takes ``0xA700``."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        try:
            value = int(str(raw), 0 if hex_ok else 10)
        except ValueError:
            kind = "an integer or 0x hex" if hex_ok else "an integer"
            raise web.HTTPBadRequest(text=f"{name} must be {kind}, got {raw!r}") from None
    if not 0 <= value < 2**63:
        raise web.HTTPBadRequest(text=f"{name} must be from 0 to 2**63 - 1, got {value}")
    return value


def int_param(request: web.Request, name: str, default: int, where: str = "query") -> int:
    raw = request.match_info.get(name) if where == "path" else request.query.get(name)
    return default if raw is None else integer(name, raw)


def paging(request: web.Request) -> tuple[int, int]:
    """``?limit`` (1 to 1,000, default 100) and ``?after`` (an id) of a listing."""
    limit = int_param(request, "limit", 100)
    if not 1 <= limit <= 1000:
        raise web.HTTPBadRequest(text=f"limit must be from 1 to 1000, got {limit}")
    return limit, int_param(request, "after", 0)


def next_after(ids: list[int], limit: int) -> int | None:
    """The ``after`` of the next page, or None when this page was the last."""
    return ids[-1] if len(ids) == limit else None
