"""The web console: one page at ``/`` and its script and style under ``/console/``, shipped in
the package (plain HTML, CSS and JavaScript: nothing to build at install time). It calls the
admin API and DICOMweb like any client, as the logged-in user; every value from the archive
is put in the page as text, and a Content-Security-Policy allows only the console's own
script, so a hostile patient name stays a name."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).with_name("static")
POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self';"
    " frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def is_public(path: str) -> bool:
    """The page and its assets need no login: the page is what logs in."""
    return path == "/" or path.startswith("/console/")


async def page(request: web.Request) -> web.FileResponse:
    """GET /: the console."""
    return web.FileResponse(STATIC / "index.html", headers=_headers())


def _headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": POLICY,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


async def asset(request: web.Request) -> web.FileResponse:
    """GET /console/{name}: the console's scripts and style (nothing else is served)."""
    name = request.match_info["name"]
    if name not in ASSETS:
        raise web.HTTPNotFound(text=f"no console file {name!r}")
    return web.FileResponse(STATIC / name, headers=_headers())


# the console's modules and style, by name (a name outside them is a 404, never a path)
ASSETS = frozenset(p.name for p in STATIC.iterdir() if p.suffix in (".js", ".css"))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", page)
    app.router.add_get("/console/{name}", asset)
