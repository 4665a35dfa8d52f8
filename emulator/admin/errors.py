"""What the admin HTTP server answers for each kind of error, in one shape."""

from __future__ import annotations

import logging
import sqlite3

from aiohttp import web

from emulator.admin.views import EMULATOR
from emulator.scenario.problems import ScenarioError
from storage import StorageError, StorageFull

log = logging.getLogger("emulator.admin")


def error_body(status: int, error: str, detail: str = "") -> web.Response:
    """The one shape of every admin API error."""
    return web.json_response({"error": error, "detail": detail, "status": status}, status=status)


def http_error(request: web.Request, exc: web.HTTPException) -> web.Response:
    """An HTTP error a view or aiohttp raised, with a detail that says what to do."""
    detail = exc.text if exc.text and not exc.text.startswith(str(exc.status)) else ""
    if exc.status == 413 and (not detail or detail.startswith("Maximum request body size")):
        limit = request.app[EMULATOR].config.admin.max_body_size
        detail = (
            f"the body is larger than {limit} bytes, the limit"
            " (admin.max_body_size, --admin-max-body)"
        )
    elif exc.status == 404 and not detail:
        detail = f"no route {request.method} {request.path}; see GET /api/health"
    elif exc.status == 405:
        detail = f"{request.method} is not allowed on {request.path}"
    response = error_body(exc.status, exc.reason, detail)
    for header in ("Retry-After", "WWW-Authenticate", "Allow"):
        if header in exc.headers:
            response.headers[header] = exc.headers[header]
    return response


def scenario_error(exc: ScenarioError) -> web.Response:
    """400 with the first problem in ``detail`` and every problem, file:line, in ``problems``."""
    first = str(exc.problems[0]) if exc.problems else ""
    more = f" (and {len(exc.problems) - 1} more: see problems)" if len(exc.problems) > 1 else ""
    body = {
        "error": "Bad Request",
        "detail": f"invalid scenario: {first}{more}",
        "status": 400,
        "problems": [
            {"file": p.file, "line": p.line, "field": p.field, "message": p.message}
            for p in exc.problems
        ],
    }
    return web.json_response(body, status=400)


def storage_error(
    request: web.Request, exc: StorageError | OSError | sqlite3.OperationalError
) -> web.Response | None:
    """A full disk is 507, a file or disk that fails a 500 saying what, a database another
    process holds locked 503 with Retry-After; each one log line. None: a bug (an SQL error)."""
    where = f"{request.method} {request.path}"
    if isinstance(exc, StorageFull):
        log.warning("admin API %s: %s", where, exc)
        detail = f"{exc}: free space in the data directory (storage.data_dir), or reset the archive"
        return error_body(507, "Insufficient Storage", detail)
    if isinstance(exc, (StorageError, OSError)):  # a file that cannot be read, a disk that fails
        log.warning("admin API %s: storage error: %s", where, exc)
        detail = f"storage error: {exc}; the emulator's log has the request"
        return error_body(500, "Internal Server Error", detail)
    if "locked" not in str(exc) and "busy" not in str(exc):
        return None
    # another process holds the database (a tool reading it, a backup)
    log.warning("admin API %s: database busy: %s", where, exc)
    response = error_body(
        503, "Service Unavailable", f"the archive database is busy ({exc}); retry"
    )
    response.headers["Retry-After"] = "1"
    return response
