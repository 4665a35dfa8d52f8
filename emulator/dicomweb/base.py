"""What every DICOMweb view needs: the archive's service context, the base URL that answers
name resources by, and the ``Warning`` header's form."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from emulator.admin.views import EMULATOR
from emulator.services.context import ServiceContext

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def context(request: web.Request) -> ServiceContext:
    """The service context of the archive the request is served from."""
    return request.app[EMULATOR].archive.ctx


def prefix(request: web.Request) -> str:
    """The DICOMweb path prefix (``dicomweb.prefix``), without a trailing slash."""
    return str(request.app[EMULATOR].config.dicomweb.prefix).rstrip("/")


def base_url(request: web.Request) -> str:
    """The DICOMweb base URL as the client reached it: retrieve URLs are built on it.

    A ``Host`` header without a port (some clients send the bare host name) gets the port the
    connection came in on, unless it is the scheme's default."""
    host = request.host
    if not host.rsplit("]", 1)[-1].count(":") and request.transport is not None:
        sockname = request.transport.get_extra_info("sockname")
        port = sockname[1] if isinstance(sockname, tuple) and len(sockname) > 1 else None
        if port is not None and port != (443 if request.scheme == "https" else 80):
            host = f"{host}:{port}"
    return f"{request.scheme}://{host}{prefix(request)}"


def warning(request: web.Request, text: str) -> str:
    """One ``Warning`` header value (RFC 7234 5.5): code 299, the agent, the quoted text."""
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'299 {request.host} "{quoted}"'
