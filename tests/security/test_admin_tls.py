"""The admin API, DICOMweb and the console over HTTPS: what a team that logs in off loopback
needs, so that passwords and session cookies never travel in clear."""

from __future__ import annotations

import http.client
import json
import urllib.request

import pytest

from emulator import Emulator
from emulator.admin.runner import server_tls
from emulator.errors import ConfigError, StartupError
from emulator.services.accounts import Accounts
from tests.conftest import make_config

PASSWORD = "correct horse battery"


@pytest.fixture
def emulator(tmp_path, certificates):
    config = make_config(
        tmp_path / "data",
        admin__tls_cert=certificates.server_cert,
        admin__tls_key=certificates.server_key,
    )
    with Emulator(config) as emu:
        yield emu


def test_a_login_over_https_gets_a_secure_cookie(emulator, certificates):
    Accounts(emulator.index.database).add("ada", "admin", PASSWORD)
    assert emulator.admin_url.startswith("https://127.0.0.1:")
    request = urllib.request.Request(
        emulator.admin_url + "/api/login",
        data=json.dumps({"name": "ada", "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    context = certificates.client_context(with_certificate=False)
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        cookie = response.headers["Set-Cookie"]
        assert json.load(response)["role"] == "admin"
    assert "; Secure" in cookie
    assert "HttpOnly" in cookie


def test_plain_http_on_the_https_port_gets_no_answer_of_the_api(emulator):
    connection = http.client.HTTPConnection("127.0.0.1", emulator.admin_port, timeout=10)

    def ask() -> http.client.HTTPResponse:
        connection.request("GET", "/api/health")
        return connection.getresponse()

    with pytest.raises((ConnectionError, http.client.HTTPException)):  # no HTTP answer at all
        ask()
    connection.close()


def test_a_certificate_without_its_key_is_refused_at_start(tmp_path, certificates):
    with pytest.raises(ConfigError) as refused:
        make_config(tmp_path, admin__tls_cert=certificates.server_cert)
    assert "admin.tls_cert and admin.tls_key: give both" in "\n".join(refused.value.problems)


def test_an_unusable_certificate_stops_the_start_naming_both_files(tmp_path) -> None:
    (tmp_path / "cert.pem").write_text("not a certificate")
    named = r"cannot use the admin TLS certificate .*cert\.pem and key .*key\.pem"
    with pytest.raises(StartupError, match=named):
        server_tls(tmp_path / "cert.pem", tmp_path / "key.pem")
    assert server_tls(None, None) is None
