"""Logins with local accounts: a cookie session (HttpOnly, SameSite=Strict) whose role the
server enforces on every route, a CSRF token for every change made with it, rate-limited
guessing, and the API open as before on loopback until the first user exists."""

from __future__ import annotations

import pytest

from emulator.admin.app import make_app
from emulator.services.accounts import Accounts

PASSWORD = "correct horse battery"
TOKEN = "t" * 20


@pytest.fixture
async def web(aiohttp_client, emulator):
    client = await aiohttp_client(make_app(emulator))
    client.emulator = emulator
    return client


def add_user(emulator, name: str, role: str) -> None:
    Accounts(emulator.index.database).add(name, role, PASSWORD)


async def login(web, name: str, password: str = PASSWORD):
    return await web.post("/api/login", json={"name": name, "password": password})


async def test_on_loopback_without_users_the_api_stays_open(web):
    assert (await web.get("/api/health")).status == 200
    assert (await web.post("/api/reset")).status == 200


async def test_once_a_user_exists_every_route_needs_a_login(web):
    add_user(web.emulator, "alice", "viewer")
    for method, path in (("GET", "/api/health"), ("GET", "/dicom-web/studies")):
        response = await web.request(method, path)
        assert response.status == 401
        assert "POST /api/login" in (await response.json())["detail"]


async def test_a_login_sets_a_strict_http_only_cookie_and_answers_the_role(web):
    add_user(web.emulator, "alice", "viewer")
    response = await login(web, "alice")
    assert response.status == 200
    body = await response.json()
    assert (body["name"], body["role"]) == ("alice", "viewer")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert (await web.get("/api/health")).status == 200
    who = await (await web.get("/api/session")).json()
    assert (who["name"], who["csrf_token"]) == ("alice", body["csrf_token"])


async def test_roles_are_enforced_and_every_change_needs_the_csrf_token(web):
    add_user(web.emulator, "vera", "viewer")
    add_user(web.emulator, "tess", "test_write")
    csrf = (await (await login(web, "vera")).json())["csrf_token"]
    refused = await web.post("/api/reset", headers={"X-CSRF-Token": csrf})
    assert refused.status == 403
    assert "needs test_write" in (await refused.json())["detail"]

    csrf = (await (await login(web, "tess")).json())["csrf_token"]
    forged = await web.post("/api/reset")  # a page that only has the cookie
    assert forged.status == 403
    assert "X-CSRF-Token" in (await forged.json())["detail"]
    assert (await web.post("/api/reset", headers={"X-CSRF-Token": csrf})).status == 200
    shutdown = await web.post("/api/shutdown", headers={"X-CSRF-Token": csrf})
    assert shutdown.status == 403  # admin only


async def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(web):
    add_user(web.emulator, "alice", "viewer")
    wrong = await login(web, "alice", "not the password")
    unknown = await login(web, "mallory")
    assert wrong.status == unknown.status == 401
    assert (await wrong.json())["detail"] == (await unknown.json())["detail"]


async def test_guessing_is_rate_limited_with_retry_after(web):
    add_user(web.emulator, "alice", "viewer")
    statuses = [(await login(web, "alice", f"guess {n}")).status for n in range(6)]
    assert statuses == [401] * 5 + [429]
    blocked = await login(web, "alice")  # even the right password, for now
    assert blocked.status == 429
    assert int(blocked.headers["Retry-After"]) > 0


async def test_logout_and_removing_the_user_end_the_session(web):
    add_user(web.emulator, "alice", "admin")
    add_user(web.emulator, "bob", "viewer")
    await login(web, "alice")
    assert (await web.post("/api/logout")).status == 204
    assert (await web.get("/api/health")).status == 401
    await login(web, "bob")
    Accounts(web.emulator.index.database).remove("bob")
    assert (await web.get("/api/health")).status == 401


async def test_bearer_tokens_keep_working_beside_logins(aiohttp_client, emulator):
    add_user(emulator, "alice", "viewer")
    web = await aiohttp_client(make_app(emulator, {TOKEN: "test_write"}))
    assert (
        await web.post("/api/reset", headers={"Authorization": f"Bearer {TOKEN}"})
    ).status == 200
    assert (await web.get("/api/health")).status == 401


async def test_only_an_admin_manages_users_and_no_answer_shows_a_password(web):
    add_user(web.emulator, "ada", "admin")
    add_user(web.emulator, "tess", "test_write")
    csrf = (await (await login(web, "tess")).json())["csrf_token"]
    headers = {"X-CSRF-Token": csrf}
    assert (await web.get("/api/users")).status == 403
    assert (await web.post("/api/users", json={}, headers=headers)).status == 403

    csrf = (await (await login(web, "ada")).json())["csrf_token"]
    headers = {"X-CSRF-Token": csrf}
    added = await web.post(
        "/api/users", json={"name": "vic", "role": "viewer", "password": PASSWORD}, headers=headers
    )
    assert added.status == 201
    taken = await web.post(
        "/api/users", json={"name": "vic", "role": "viewer", "password": PASSWORD}, headers=headers
    )
    assert taken.status == 409
    changed = await web.put("/api/users/vic", json={"role": "test_write"}, headers=headers)
    assert (await changed.json())["role"] == "test_write"
    listing = await (await web.get("/api/users")).text()
    assert "vic" in listing
    assert PASSWORD not in listing
    assert "argon2" not in listing
    assert (await web.delete("/api/users/vic", headers=headers)).status == 204
    assert (await web.delete("/api/users/vic", headers=headers)).status == 404
