"""Admin HTTP API: health from the start, and one JSON shape for every error."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from emulator.admin.app import ROUTES


def get(emulator, path: str, method: str = "GET") -> tuple[int, dict]:
    request = urllib.request.Request(emulator.admin_url + path, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_health_reports_ready_ports_ae_title_and_counts(emulator):
    status, body = get(emulator, "/api/health")

    assert status == 200
    assert body["ready"] is True
    assert body["ae_title"] == "FABRICATOR"
    assert body["dicom"]["port"] == emulator.dicom_port
    assert body["admin"]["port"] == emulator.admin_port
    assert body["counts"] == {"patients": 0, "studies": 0, "series": 0, "instances": 0}


def test_config_route_returns_the_effective_settings(emulator):
    status, body = get(emulator, "/api/config")
    assert status == 200
    assert body["dicom.port"] == 0  # as configured; the bound port is in /api/health
    assert body["storage.data_dir"] == str(emulator.config.storage.data_dir)


@pytest.mark.parametrize(
    ("path", "method", "code"),
    [("/api/nothing-here", "GET", 404), ("/api/health", "DELETE", 405)],
)
def test_errors_are_json_with_a_message_a_person_can_act_on(emulator, path, method, code):
    status, body = get(emulator, path, method)
    assert status == code
    assert set(body) == {"error", "detail", "status"}
    assert body["status"] == code
    assert body["detail"]


def test_every_declared_read_route_answers_json(emulator):
    for method, path, _, _ in ROUTES:
        if method == "GET" and "{" not in path:
            status, body = get(emulator, path, method)
            assert status == 200, (path, body)


@pytest.mark.config(remote_aes=["viewer=VIEWER@127.0.0.1:11113"])
def test_remote_aes_route_lists_the_registry(emulator):
    status, body = get(emulator, "/api/remote-aes")
    assert status == 200
    assert body == {
        "remote_aes": [
            {
                "name": "viewer",
                "ae_title": "VIEWER",
                "host": "127.0.0.1",
                "port": 11113,
                "tls": False,
                "ca_file": "",
            }
        ]
    }
