"""Cross-origin access to DICOMweb (CORS), for a web viewer served from another origin: off
unless ``dicomweb.cors_origins`` lists the viewer's origin (or ``*``).

An allowed origin's requests get ``Access-Control-Allow-Origin`` on every DICOMweb answer,
errors included, so that the viewer can read them; its preflight requests (``OPTIONS``) are
answered here, before any token is asked for, as browsers send none with them. The admin API
under ``/api`` never answers other origins.
"""

from __future__ import annotations

from aiohttp import web

from emulator.admin.views import EMULATOR
from emulator.dicomweb.base import Handler, prefix

METHODS = "GET, HEAD, POST, OPTIONS"
EXPOSED = "Warning, Content-Location, Content-Type, Content-Length"


def allowed_origin(request: web.Request) -> str | None:
    """The request's ``Origin`` if it may call DICOMweb, else None."""
    origin = request.headers.get("Origin")
    path = request.path
    base = prefix(request)
    if origin is None or not (path == base or path.startswith(base + "/")):
        return None
    origins = request.app[EMULATOR].config.dicomweb.origins
    return origin if "*" in origins or origin in origins else None


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    origin = allowed_origin(request)
    if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
        if origin is None:
            return await handler(request)  # not ours to allow: 405 or 404 as for any OPTIONS
        asked = request.headers.get("Access-Control-Request-Headers", "")
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": METHODS,
                "Access-Control-Allow-Headers": asked or "Accept, Authorization, Content-Type",
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            },
        )
    response = await handler(request)
    if origin is not None and not response.prepared:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED
        response.headers["Vary"] = "Origin"
    return response
