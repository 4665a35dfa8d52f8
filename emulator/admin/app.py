"""The admin HTTP API (aiohttp): route table and the JSON error boundary."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from emulator import console
from emulator.admin import auth, errors, jobs, sessions, users_views, views
from emulator.admin import data_views as data
from emulator.admin import journal_views as journal
from emulator.admin import scenario_views as scenario
from emulator.admin.errors import error_body
from emulator.admin.views import EMULATOR
from emulator.dicomweb.cors import allowed_origin, cors_middleware
from emulator.dicomweb.faults import faults_middleware
from emulator.dicomweb.journaling import journal_middleware
from emulator.dicomweb.routes import add_routes
from emulator.errors import EmulatorError
from emulator.scenario.problems import ScenarioError
from emulator.services.accounts import Accounts
from storage import StorageError

if TYPE_CHECKING:
    from emulator.admin.target import AdminTarget

log = logging.getLogger("emulator.admin")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The one declared route table: (method, path, view, summary). The README lists every path.
ROUTES: list[tuple[str, str, Handler, str]] = [
    ("GET", "/api/health", views.health, "readiness, version, ports, AE title and counts"),
    ("GET", "/api/version", views.version, "the emulator's version"),
    ("GET", "/api/openapi.json", views.openapi, "this API as an OpenAPI 3 document"),
    ("GET", "/api/config", views.config, "the effective configuration"),
    ("POST", "/api/reset", views.reset, "clear what tests left behind ({keep: [parts]})"),
    ("GET", "/api/remote-aes", views.remote_aes, "the registered remote AEs"),
    ("PUT", "/api/remote-aes/{name}", data.remote_ae_put, "add or replace a remote AE"),
    ("DELETE", "/api/remote-aes/{name}", data.remote_ae_delete, "forget a remote AE"),
    ("GET", "/api/studies", data.studies_list, "studies (filters, ?limit, ?after)"),
    ("GET", "/api/studies/{uid}", data.study_get, "one study with its series and instances"),
    ("DELETE", "/api/studies/{uid}", data.study_delete, "delete a study"),
    ("POST", "/api/instances", data.instances_upload, "upload Part 10 files"),
    ("GET", "/api/instances/{uid}", data.instance_get, "download an instance (?format=json)"),
    ("POST", "/api/fabricate", data.fabricate, "fabricate studies (as the CLI)"),
    ("GET", "/api/jobs/{id}", jobs.job_get, "a background fabrication's progress"),
    ("POST", "/api/shutdown", views.shutdown, "stop the emulator (as SIGTERM)"),
    ("GET", "/api/worklist", views.worklist_list, "worklist items (?limit, ?after)"),
    ("POST", "/api/worklist", views.worklist_add, "add worklist items (DICOM JSON)"),
    ("GET", "/api/worklist/{id}", views.worklist_get, "one worklist item"),
    ("DELETE", "/api/worklist/{id}", views.worklist_delete, "delete a worklist item"),
    ("POST", "/api/worklist/{id}/acquire", views.worklist_acquire, "make the item's study"),
    ("GET", "/api/mpps", views.mpps_list, "performed procedure steps (?limit, ?after)"),
    ("GET", "/api/mpps/{uid}", views.mpps_get, "one performed procedure step"),
    ("GET", "/api/commitments", views.commitments, "storage commitment requests and reports"),
    ("GET", "/api/commitments/{id}", views.commitment_get, "one storage commitment request"),
    ("POST", "/api/hl7", views.hl7_order, "apply an HL7 v2 order (ORM^O01, OMI^O23)"),
    ("GET", "/api/scenario", scenario.scenario_get, "the scenario in force"),
    ("PUT", "/api/scenario", scenario.scenario_put, "replace the scenario (YAML or JSON)"),
    ("DELETE", "/api/scenario", scenario.scenario_delete, "deactivate the scenario"),
    ("POST", "/api/scenario/validate", scenario.scenario_validate, "check a scenario"),
    ("POST", "/api/scenario/reset", scenario.scenario_reset, "start the scenario over"),
    ("POST", "/api/scenario/reload", scenario.scenario_reload, "read --scenario FILE again"),
    ("POST", "/api/scenario/rules", scenario.rule_add, "add one rule (?at=start|end)"),
    ("DELETE", "/api/scenario/rules", scenario.rules_delete, "remove rules by ?label="),
    ("DELETE", "/api/scenario/rules/{id}", scenario.rule_delete, "remove one rule"),
    ("GET", "/api/journal", journal.journal_list, "journal entries (filters, ?since, ?limit)"),
    ("GET", "/api/journal/count", journal.journal_count, "count matching journal entries"),
    ("GET", "/api/journal/stream", journal.journal_stream, "journal entries live (SSE)"),
    ("POST", "/api/journal/wait", journal.journal_wait, "long-poll until entries match"),
    ("GET", "/api/journal/{id}", journal.journal_entry, "one journal entry"),
    ("DELETE", "/api/journal", journal.journal_clear, "clear the journal"),
    *sessions.ROUTES,
    *users_views.ROUTES,
]


# The role each route needs when tokens are configured: GET is viewer, these are admin,
# every other change is test_write (see emulator/admin/auth.py).
ADMIN_ROUTES = frozenset(
    {
        ("PUT", "/api/remote-aes/{name}"),
        ("DELETE", "/api/remote-aes/{name}"),
        ("POST", "/api/shutdown"),
    }
)


def needed_role(method: str, path: str) -> str:
    if path.startswith("/api/users"):
        return "admin"  # accounts are an admin's, reading them too
    if method in ("GET", "HEAD"):
        return "viewer"
    return "admin" if (method, path) in ADMIN_ROUTES else "test_write"


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The admin HTTP server's one error boundary: every error in the shape of
    :func:`~emulator.admin.errors.error_body`, a traceback only for a bug."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return errors.http_error(request, exc)
    except UnicodeDecodeError as exc:  # request.text() of bytes that are not UTF-8
        return error_body(400, "Bad Request", f"the body is not UTF-8 text: {exc.reason}")
    except EmulatorError as exc:
        return error_body(400, "Bad Request", "; ".join([str(exc).split(":\n")[0], *exc.problems]))
    except ScenarioError as exc:
        return errors.scenario_error(exc)
    except ConnectionResetError:  # the peer left, or a scenario rule cut the connection
        raise
    except (StorageError, OSError, sqlite3.OperationalError) as exc:
        response = errors.storage_error(request, exc)
        if response is not None:
            return response
        log.exception("admin API error on %s %s", request.method, request.path)
    except Exception:
        log.exception("admin API error on %s %s", request.method, request.path)
    return error_body(500, "internal error", "the emulator's log has the details")


def auth_middleware(tokens: dict[str, str]) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Refuse changes from other sites' pages; with *tokens*, require a bearer token whose
    role allows the route (401 without one or with an unknown one, 403 for too low a role)."""

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        admin = request.app[EMULATOR].config.admin
        host = request.headers.get("Host", "")
        if not auth.host_allowed(host, admin.host, admin.host_names):
            log.warning("refused a request for host %r (not an allowed host name)", host[:100])
            return error_body(
                421,
                "Misdirected Request",
                f"this admin API does not answer to the host name {host[:100]!r}: use"
                f" localhost, an IP address or {admin.host}, or list the name with"
                " --admin-allowed-hosts",
            )
        if (
            request.method not in ("GET", "HEAD")
            and _from_another_site(request)
            and allowed_origin(request) is None  # a viewer's origin listed for DICOMweb
        ):
            return error_body(
                403, "Forbidden", "a page of another site may not change the emulator"
            )
        if request.path in sessions.OPEN_PATHS or console.is_public(request.path):
            return await handler(request)
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        role = auth.role_of(tokens, presented.strip()) if scheme.lower() == "bearer" else None
        live = None
        if role is None and sessions.COOKIE in request.cookies:
            found = request.app[sessions.SESSIONS].identity(request.cookies[sessions.COOKIE])
            if found is not None:
                role, live = found[0].role, found[1]
        if role is None:
            if not tokens and not request.app[sessions.SESSIONS].users_exist():
                return await handler(request)  # loopback, no tokens, no users: open
            return _unauthorized(bool(tokens), presented)
        writes = request.method not in ("GET", "HEAD")
        if live is not None and writes and not sessions.csrf_ok(request, live):
            detail = f"send the session's CSRF token in {sessions.CSRF_HEADER}"
            return error_body(403, "Forbidden", detail)
        resource = request.match_info.route.resource
        path = resource.canonical if resource is not None else request.path
        needed = needed_role(request.method, path)
        if not auth.allows(role, needed):
            detail = f"a {role} cannot {request.method} {request.path}: it needs {needed}"
            return error_body(403, "Forbidden", detail)
        return await handler(request)

    return check


def _unauthorized(tokens: bool, presented: str) -> web.Response:
    """401 saying how to get in: a bearer token (when there are tokens) or a login."""
    ways = ["log in with POST /api/login"]
    if tokens:
        ways.insert(0, "send Authorization: Bearer <token>, a token of --admin-tokens")
    detail = "; or ".join(ways)
    if presented:
        detail = f"the bearer token is not one of --admin-tokens; {detail}"
    response = error_body(401, "Unauthorized", detail)
    response.headers["WWW-Authenticate"] = 'Bearer realm="dicom-fabricator"'
    return response


def _from_another_site(request: web.Request) -> bool:
    """A browser's request made by a page of another site (Sec-Fetch-Site, else Origin)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is not None and origin.split("://", 1)[-1] != request.host


def make_app(emulator: AdminTarget, tokens: dict[str, str] | None = None) -> web.Application:
    """The admin application bound to *emulator*; *tokens* (token → role) protect it."""
    app = web.Application(
        middlewares=[
            cors_middleware,
            journal_middleware,
            errors_middleware,
            auth_middleware(tokens or {}),
            faults_middleware,
        ],
        client_max_size=emulator.config.admin.max_body_size,
    )
    app[EMULATOR] = emulator
    accounts = Accounts(emulator.archive.ctx.index.database)
    ldap, directory = emulator.config.ldap, None
    if ldap.enabled:  # ldap3 loads only then: it would cost every start some 30 ms
        from emulator.services.directory import Directory

        directory = Directory(ldap)
    app[sessions.SESSIONS] = sessions.Sessions(
        accounts, emulator.config.admin.session_ttl, directory
    )
    app[jobs.JOBS] = jobs.Jobs()
    for method, path, view, _ in ROUTES:
        app.router.add_route(method, path, view)
    add_routes(app, emulator.config.dicomweb.prefix)
    console.add_routes(app)
    return app
