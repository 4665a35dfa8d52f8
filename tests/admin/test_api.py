"""Admin HTTP API: health from the start, and one JSON shape for every error."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from emulator.admin.app import ROUTES
from emulator.admin.sessions import OPEN_PATHS
from tests.helpers.worklist import WORKLIST_ITEM


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
    emulator.load_scenario("name: t\nrules: []\n")  # GET /api/scenario is 404 without one
    for method, path, _, _ in ROUTES:
        streams = path.endswith("/stream")  # never ends: tests/admin/test_journal_stream.py
        if method == "GET" and "{" not in path and path not in OPEN_PATHS and not streams:
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
                "commitment_mode": "",
                "commitment_delay": None,
            }
        ]
    }


def send(
    emulator, path: str, method: str, body: object | bytes, content_type: str = "application/json"
) -> tuple[int, dict | None]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        emulator.admin_url + path,
        data=None if body is None else data,
        method=method,
        headers={"Content-Type": content_type},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_worklist_items_are_added_listed_shown_and_deleted(emulator):
    status, body = send(emulator, "/api/worklist", "POST", WORKLIST_ITEM)
    assert status == 201
    [pk] = body["ids"]
    status, listing = get(emulator, "/api/worklist")
    assert status == 200
    [summary] = listing["items"]
    assert (summary["id"], summary["state"], summary["source"]) == (pk, "SCHEDULED", "api")
    item = summary["item"]
    assert item["00080050"]["Value"] == ["A100"]
    assert item["0020000D"]["Value"][0].startswith("2.25.")  # generated: MPPS and images share it
    step = item["00400100"]["Value"][0]
    assert step["00400009"]["Value"][0]  # a Scheduled Procedure Step ID, generated
    assert get(emulator, f"/api/worklist/{pk}")[1]["id"] == pk
    assert send(emulator, f"/api/worklist/{pk}", "DELETE", b"") == (204, None)
    status, body = get(emulator, f"/api/worklist/{pk}")
    assert status == 404
    assert body["detail"] == f"no worklist item {pk}"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"{not json", "the body is not JSON"),
        ([], "no worklist item given"),
        ({"00100020": {"vr": "LO", "Value": ["P1"]}}, "needs a ScheduledProcedureStepSequence"),
        ([WORKLIST_ITEM, 7], "item 1 is not a DICOM JSON object"),
        ({**WORKLIST_ITEM, "00100020": {"vr": "XX", "Value": ["P1"]}}, "'XX' is not a valid VR"),
        ({**WORKLIST_ITEM, "00100020": {"vr": "LO", "Value": "P1"}}, "must be a list"),
        (
            {**WORKLIST_ITEM, "0020000D": {"vr": "UI", "Value": ["1.2.abc"]}},
            "StudyInstanceUID",
        ),
    ],
)
def test_a_worklist_item_that_cannot_be_stored_is_400_saying_why(emulator, body, detail):
    status, answer = send(emulator, "/api/worklist", "POST", body)
    assert status == 400
    assert detail in answer["error"] + answer["detail"]
    assert get(emulator, "/api/worklist")[1]["items"] == []  # nothing half-stored


def test_worklist_paging_and_bad_paging_values(emulator):
    send(emulator, "/api/worklist", "POST", [WORKLIST_ITEM] * 3)
    status, page = get(emulator, "/api/worklist?limit=2")
    assert (status, len(page["items"])) == (200, 2)
    status, rest = get(emulator, f"/api/worklist?limit=2&after={page['next']}")
    assert len(rest["items"]) == 1
    assert rest["next"] is None
    status, body = get(emulator, "/api/worklist?limit=two")
    assert status == 400
    assert "limit must be an integer" in body["detail"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/worklist", {"00100010": 5}),
        ("POST", "/api/worklist", {"00100010": {"vr": "PN", "Value": 5}}),
        ("POST", "/api/instances", b"not dicom at all"),
        ("POST", "/api/reset", {"keep": ["nope"]}),
        ("PUT", "/api/scenario", "name: x"),
        ("POST", "/api/hl7", "garbage"),
        ("GET", "/api/studies?limit=0", None),
        ("GET", "/api/journal?limit=1001", None),
    ],
)
def test_every_error_has_the_reason_phrase_and_a_detail_without_python_internals(
    emulator, method, path, body
):
    kind = "application/dicom" if path == "/api/instances" else "application/json"
    status, answer = send(emulator, path, method, body, kind)
    assert status == 400
    assert answer["error"] == "Bad Request"
    assert answer["detail"]
    for internal in ("object is not subscriptable", "indices must be", "force=True", "Traceback"):
        assert internal not in json.dumps(answer)
