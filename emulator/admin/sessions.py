"""Logins with local accounts: cookie sessions for the web console and the API, beside the
bearer tokens.

- ``POST /api/login`` ``{"name", "password"}`` sets the session cookie (HttpOnly,
  SameSite=Strict, Secure over TLS) and answers the user, role and the session's CSRF token;
  ``POST /api/logout`` ends it; ``GET /api/session`` tells who is logged in.
- A state-changing request made with the cookie must carry that token in ``X-CSRF-Token``
  (a bearer token's requests need none: a browser never adds one by itself).
- A local user's name is checked against its password hash; any other name, when
  ``[ldap]`` names a directory, against the directory (``emulator/services/directory.py``).
- Failed logins are rate-limited per client address and per name: after
  :data:`MAX_FAILURES` within :data:`WINDOW` seconds, ``429`` with ``Retry-After``.
- Each request looks the user up again, so a removed user's sessions end and a changed
  role applies at once.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from emulator.admin.bodies import read_json
from emulator.services.accounts import Accounts, DirectoryUnavailable, Identity, NoRole

if TYPE_CHECKING:
    from emulator.services.directory import Directory

log = logging.getLogger("emulator.admin")

COOKIE = "fabricator_session"
CSRF_HEADER = "X-CSRF-Token"
MAX_FAILURES = 5
WINDOW = 60.0  # seconds


@dataclass(slots=True)
class Session:
    name: str
    csrf: str
    expires: float
    role: str  # a directory user's, as the directory gave it at login
    source: str  # "local" (looked up again at each request) or "ldap"


class Sessions:
    """The live sessions and the failed-login counts of one admin server. Thread-safe."""

    def __init__(self, accounts: Accounts, ttl: float, directory: Directory | None = None) -> None:
        self.accounts = accounts
        self.directory = directory
        self.ttl = ttl
        self._sessions: dict[str, Session] = {}
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def users_exist(self) -> bool:
        """Whether anyone can log in (then logging in is required, even on loopback)."""
        return self.directory is not None or self.accounts.users.count() > 0

    def verify(self, name: str, password: str) -> Identity | None:
        """Who *name* is if *password* is theirs: a local user's name is checked locally,
        any other against the directory when there is one.

        Raises
        ------
        DirectoryUnavailable, NoRole
            From the directory (see :class:`~emulator.services.directory.Directory`).
        """
        if self.directory is not None and self.accounts.users.get(name) is None:
            return self.directory.verify(name, password)
        return self.accounts.verify(name, password)

    def open(self, identity: Identity) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        session = Session(
            identity.name,
            secrets.token_urlsafe(24),
            time.time() + self.ttl,
            identity.role,
            identity.source,
        )
        with self._lock:
            self._sessions[token] = session
        return token, session

    def identity(self, token: str) -> tuple[Identity, Session] | None:
        """Who the session *token* is, as the index says now (None: no, ended or expired)."""
        with self._lock:
            session = self._sessions.get(token)
            if session is not None and session.expires < time.time():
                del self._sessions[token]
                session = None
        if session is None:
            return None
        if session.source == "ldap":
            return Identity(session.name, session.role, "ldap"), session
        user = self.accounts.users.get(session.name)
        if user is None:  # removed since: its sessions end
            self.close(token)
            return None
        return Identity(user.name, user.role), session

    def close(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(token, None)

    def blocked_for(self, *keys: str) -> float:
        """Seconds until a login for *keys* (address, name) may be tried again (0: now)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                recent = self._failures.get(key)
                while recent and recent[0] < now - WINDOW:
                    recent.popleft()
                if recent is not None and len(recent) >= MAX_FAILURES:
                    wait = max(wait, recent[0] + WINDOW - now)
        return wait

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)


SESSIONS: web.AppKey[Sessions] = web.AppKey("sessions")


def csrf_ok(request: web.Request, session: Session) -> bool:
    return hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), session.csrf)


async def login(request: web.Request) -> web.Response:
    """POST /api/login {name, password}"""
    body = await read_json(request, shape='a JSON object {"name": ..., "password": ...}')
    fields = body if isinstance(body, dict) else {}
    name, password = fields.get("name"), fields.get("password")
    if not isinstance(name, str) or not isinstance(password, str):
        raise web.HTTPBadRequest(text='send {"name": "...", "password": "..."}')
    sessions = request.app[SESSIONS]
    keys = (f"address:{request.remote}", f"name:{name.lower()}")
    wait = sessions.blocked_for(*keys)
    if wait:
        raise web.HTTPTooManyRequests(
            text=f"too many failed logins: try again in {int(wait) + 1} s",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    try:
        identity = await asyncio.to_thread(sessions.verify, name, password)
    except DirectoryUnavailable as exc:
        log.warning("login of %s not decided: %s", name[:64], exc)
        raise web.HTTPServiceUnavailable(text=str(exc), headers={"Retry-After": "5"}) from None
    except NoRole as exc:
        raise web.HTTPForbidden(text=str(exc)) from None
    if identity is None:
        log.warning("failed login as %r from %s", name[:64], request.remote)
        sessions.failed(*keys)
        raise web.HTTPUnauthorized(text="wrong name or password")
    token, session = sessions.open(identity)
    log.info("%s logged in (%s, %s)", identity.name, identity.role, identity.source)
    response = web.json_response(
        {
            "name": identity.name,
            "role": identity.role,
            "source": identity.source,
            "csrf_token": session.csrf,
        }
    )
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(sessions.ttl),
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/",
    )
    return response


async def logout(request: web.Request) -> web.Response:
    """POST /api/logout"""
    token = request.cookies.get(COOKIE)
    if token:
        request.app[SESSIONS].close(token)
    response = web.Response(status=204)
    response.del_cookie(COOKIE, path="/")
    return response


async def session(request: web.Request) -> web.Response:
    """GET /api/session: the logged-in user, role and CSRF token; 401 without a session."""
    found = request.app[SESSIONS].identity(request.cookies.get(COOKIE, ""))
    if found is None:
        raise web.HTTPUnauthorized(text="no session: log in with POST /api/login")
    identity, live = found
    return web.json_response(
        {
            "name": identity.name,
            "role": identity.role,
            "source": identity.source,
            "csrf_token": live.csrf,
        }
    )


ROUTES = [
    ("POST", "/api/login", login, "log in with a local account (sets the session cookie)"),
    ("POST", "/api/logout", logout, "end the session"),
    ("GET", "/api/session", session, "who is logged in, and the session's CSRF token"),
]
OPEN_PATHS = frozenset({"/api/login", "/api/logout", "/api/session"})  # no login needed
