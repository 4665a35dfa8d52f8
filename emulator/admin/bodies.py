"""Reading request bodies within bounds: every admin view reads its body through here.

Text and JSON bodies are held to ``admin.max_body_size`` (aiohttp's ``client_max_size``, set
by ``make_app``; past it aiohttp answers 413). JSON is also held to :data:`MAX_JSON_DEPTH`
levels of nesting, checked before it is decoded, so a body of 100,000 ``[`` is a 400 and never
reaches Python's recursion limit. Part 10 uploads are streamed instead (``data_views``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

MAX_JSON_DEPTH = 64

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


async def read_text(request: web.Request) -> str:
    """The body as UTF-8 text; 400 when it is not UTF-8 (413 past the size limit)."""
    data = await request.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise web.HTTPBadRequest(text=f"the body is not UTF-8 text: {exc.reason}") from None


async def read_json(request: web.Request, empty: Any = None, shape: str = "JSON") -> Any:
    """The body as JSON, or *empty* when the body is blank (None: a blank body is a 400 too).

    *shape* says in the error what the body should be, e.g. ``a JSON object {"keep": [...]}``.
    """
    text = await read_text(request)
    if not text.strip():
        if empty is None:
            raise web.HTTPBadRequest(text=f"the body is empty; send {shape}")
        return empty
    return loads(text, shape)


def loads(text: str, shape: str = "JSON") -> Any:
    """Decode *text* as JSON no deeper than :data:`MAX_JSON_DEPTH`; 400 saying why not."""
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub("", text)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > MAX_JSON_DEPTH:
            raise web.HTTPBadRequest(
                text=f"the JSON nests deeper than {MAX_JSON_DEPTH} levels, the limit"
            )
    try:
        return json.loads(text)
    except ValueError as exc:
        raise web.HTTPBadRequest(text=f"the body is not JSON ({exc}); send {shape}") from None
