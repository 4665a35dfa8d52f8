"""Admin API security: bearer tokens with roles, no changes from other sites' pages, and the
admin API never open to the network without tokens."""

from __future__ import annotations

import json
import logging
import urllib.request

import pytest

from emulator import Emulator
from emulator.admin.app import ROUTES, make_app, needed_role
from emulator.admin.sessions import OPEN_PATHS
from emulator.errors import ConfigError
from tests.conftest import make_config
from tests.helpers import serve_subprocess

VIEWER, WRITER, ADMIN = "v" * 20, "w" * 20, "a" * 20
TOKENS = {VIEWER: "viewer", WRITER: "test_write", ADMIN: "admin"}
REMOTE = {"ae_title": "VIEWER", "host": "127.0.0.1", "port": 11113}


@pytest.fixture
async def api(aiohttp_client, emulator):
    return await aiohttp_client(make_app(emulator, TOKENS))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_without_a_token_every_route_is_401_saying_how(api):
    response = await api.get("/api/health")
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = await response.json()
    assert body["detail"] == (
        "send Authorization: Bearer <token>, a token of --admin-tokens;"
        " or log in with POST /api/login"
    )
    response = await api.post("/api/reset", headers={"Authorization": "Basic dXNlcg=="})
    assert response.status == 401


async def test_an_unknown_token_is_401_and_never_echoed_or_logged(api, caplog):
    caplog.set_level(logging.DEBUG)
    response = await api.get("/api/health", headers=bearer("x" * 24))
    assert response.status == 401
    text = await response.text()
    assert "x" * 24 not in text
    assert "not one of --admin-tokens" in text
    assert "x" * 24 not in caplog.text


@pytest.mark.parametrize(
    ("token", "method", "path", "body", "status"),
    [
        (VIEWER, "GET", "/api/health", None, 200),
        (VIEWER, "GET", "/api/journal", None, 200),
        (VIEWER, "POST", "/api/reset", None, 403),
        (WRITER, "POST", "/api/reset", None, 200),
        (WRITER, "PUT", "/api/remote-aes/viewer", REMOTE, 403),
        (ADMIN, "PUT", "/api/remote-aes/viewer", REMOTE, 200),
        (ADMIN, "POST", "/api/reset", None, 200),
    ],
)
async def test_roles_allow_what_they_say(api, token, method, path, body, status):
    response = await api.request(method, path, json=body, headers=bearer(token))
    assert response.status == status, await response.text()
    if status == 403:
        detail = (await response.json())["detail"]
        assert f"cannot {method} {path}: it needs" in detail


def test_every_route_needs_a_role():
    roles = {needed_role(method, path) for method, path, _, _ in ROUTES}
    assert roles == {"viewer", "test_write", "admin"}
    assert needed_role("POST", "/api/shutdown") == "admin"
    assert needed_role("DELETE", "/api/journal") == "test_write"


async def test_a_page_of_another_site_cannot_change_the_emulator(aiohttp_client, emulator):
    api = await aiohttp_client(make_app(emulator))  # no tokens: loopback
    response = await api.post("/api/reset", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status == 403
    response = await api.post("/api/reset", headers={"Origin": "http://evil.example"})
    assert response.status == 403
    assert (await api.get("/api/health", headers={"Origin": "http://evil.example"})).status == 200
    assert (await api.post("/api/reset")).status == 200  # curl, test code: no Origin


def test_an_admin_api_on_the_network_needs_tokens(tmp_path):
    config = make_config(tmp_path / "d", admin__host="0.0.0.0")
    with pytest.raises(ConfigError, match="give bearer tokens with --admin-tokens"):
        Emulator(config).start()
    tokens = tmp_path / "tokens"
    tokens.write_text(f"# who may do what\nviewer {VIEWER}\nadmin {ADMIN}  # the CI job\n")
    config = make_config(tmp_path / "d", admin__host="0.0.0.0", admin__tokens_file=tokens)
    with Emulator(config) as emulator:
        url = f"http://127.0.0.1:{emulator.admin_port}/api/health"
        request = urllib.request.Request(url, headers=bearer(VIEWER))
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.load(response)["ready"] is True


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("owner abcdefghijklmnopqrstu\n", "2: expected 'ROLE TOKEN' with ROLE one of viewer"),
        ("viewer short\n", "a token needs at least 16 characters"),
        (f"viewer {VIEWER}\nadmin {VIEWER}\n", "3: this token is already on an earlier line"),
        ("# nothing\n", "no tokens"),
    ],
)
def test_a_bad_tokens_file_names_file_and_line_never_the_token(tmp_path, text, words):
    tokens = tmp_path / "tokens"
    tokens.write_text("# header\n" + text)
    config = make_config(tmp_path / "d", admin__tokens_file=tokens)
    with pytest.raises(ConfigError) as raised:
        Emulator(config).start()
    problems = "\n".join(raised.value.problems)
    assert f"{tokens}:" in problems
    assert words in problems
    assert VIEWER not in problems
    assert "abcdefghijklmnopqrstu" not in problems


def test_post_shutdown_stops_a_served_emulator_cleanly(tmp_path):
    proc, ready = serve_subprocess(tmp_path / "data", "--log-level", "warning")
    request = urllib.request.Request(ready["admin"] + "/api/shutdown", method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 202
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err


@pytest.mark.parametrize(
    ("method", "path"), [(m, p) for m, p, _, _ in ROUTES if p not in OPEN_PATHS]
)
async def test_every_route_refuses_a_request_without_a_token(api, method, path):
    concrete = path.replace("{", "").replace("}", "")  # {id} → id: a path the route matches
    response = await api.request(method, concrete)
    assert response.status == 401, (method, path)
