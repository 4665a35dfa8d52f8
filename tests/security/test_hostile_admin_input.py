"""Hostile input to the admin API: DNS rebinding, oversized and deeply nested bodies, malformed
multipart, unbounded fabrication, scenario bombs. Each gets a 4xx in the one error shape, never
a 500, nothing is half done, and the emulator goes on answering."""

from __future__ import annotations

import logging

import pytest

from emulator.admin.app import make_app
from tests.helpers import PYDICOM_DATA, associate

CT_SMALL = PYDICOM_DATA / "test_files" / "CT_small.dcm"
BILLION_LAUGHS = (
    "name: laughs\nrules: []\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(8)
    )
)
RULE = "  - {match: {phase: request}, action: {delay: {ms: 1}}}\n"


@pytest.fixture
async def api(aiohttp_client, emulator):
    client = await aiohttp_client(make_app(emulator))
    client.emulator = emulator
    return client


async def error_of(response, status: int) -> dict:
    """The body of an error answer, checked for the one shape and the status."""
    assert response.status == status, await response.text()
    body = await response.json()
    assert {"error", "detail", "status"} <= set(body)
    assert body["status"] == status
    assert "Traceback" not in body["detail"]
    return body


async def still_answers(api) -> None:
    assert (await api.get("/api/health")).status == 200


# -- DNS rebinding -------------------------------------------------------------------------


async def test_a_foreign_host_cannot_clear_the_journal_even_with_a_matching_origin(api):
    associate(api.emulator.dicom_port).release()
    before = (await (await api.get("/api/journal/count?kind=association")).json())["count"]
    assert before == 1
    rebound = {"Host": "rebind.example:8180", "Origin": "http://rebind.example:8180"}
    body = await error_of(await api.delete("/api/journal", headers=rebound), 421)
    assert "rebind.example" in body["detail"]
    assert "--admin-allowed-hosts" in body["detail"]
    after = (await (await api.get("/api/journal/count?kind=association")).json())["count"]
    assert after == before


async def test_a_foreign_host_cannot_shut_the_emulator_down(api):
    calls: list[bool] = []
    api.emulator.shutdown_hook = lambda: calls.append(True)
    rebound = {"Host": "rebind.example", "Origin": "http://rebind.example"}
    await error_of(await api.post("/api/shutdown", headers=rebound), 421)
    await error_of(await api.get("/api/health", headers={"Host": "rebind.example"}), 421)
    assert calls == []


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST:8180", "127.0.0.1:8180", "[::1]:8180", "10.1.2.3", ""]
)
async def test_loopback_names_and_any_address_are_answered(api, host):
    assert (await api.get("/api/health", headers={"Host": host})).status == 200


@pytest.mark.config(admin__allowed_hosts="pacs-sim.lab, other.lab")
async def test_names_on_the_allow_list_are_answered(api):
    assert (await api.get("/api/health", headers={"Host": "PACS-SIM.lab:8180"})).status == 200
    await error_of(await api.get("/api/health", headers={"Host": "pacs-sim.lab.evil"}), 421)


@pytest.mark.config(admin__allowed_hosts="*")
async def test_a_star_answers_any_name(api):
    assert (await api.get("/api/health", headers={"Host": "anything.example"})).status == 200


# -- Bodies --------------------------------------------------------------------------------


@pytest.mark.config(admin__max_body_size=64 * 1024)
async def test_a_body_past_the_limit_is_413_naming_the_setting(api):
    body = await error_of(await api.post("/api/scenario/validate", data=b"#" * (65 * 1024)), 413)
    assert "65536 bytes" in body["detail"]
    assert "--admin-max-body" in body["detail"]
    await still_answers(api)


@pytest.mark.parametrize(
    "path", ["/api/reset", "/api/fabricate", "/api/journal/wait", "/api/worklist"]
)
async def test_deeply_nested_json_is_400_not_a_recursion_error(api, path):
    body = await error_of(await api.post(path, data="[" * 100_000 + "]" * 100_000), 400)
    assert "deeper than 64 levels" in body["detail"]
    await still_answers(api)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/api/reset", b"\xff\xfe{"),
        ("/api/fabricate", b"{not json"),
        ("/api/journal/wait", b'{"pattern": [1, 2]}'),
        ("/api/remote-aes/X", b"[]"),
        ("/api/worklist", b""),
    ],
)
async def test_malformed_json_bodies_are_400(api, path, data):
    method = "PUT" if path.startswith("/api/remote-aes") else "POST"
    await error_of(await api.request(method, path, data=data), 400)


@pytest.mark.parametrize(
    "data",
    [
        b"--b\r\nContent-Type: application/dicom\r\n",  # ends inside the part's headers
        b"garbage with no boundary at all",
        b"--b\r\nContent-Type application/dicom\r\n\r\nxx\r\n--b--\r\n",  # header without colon
    ],
)
async def test_a_malformed_multipart_upload_is_400_and_stores_nothing(api, data):
    headers = {"Content-Type": 'multipart/related; type="application/dicom"; boundary=b'}
    await error_of(await api.post("/api/instances", data=data, headers=headers), 400)
    assert api.emulator.index.counts()["instances"] == 0


@pytest.mark.config(admin__max_upload_size=64 * 1024)
async def test_an_upload_past_the_limit_is_413_and_stores_nothing(api):
    data = CT_SMALL.read_bytes() + b"\0" * (64 * 1024)
    response = await api.post(
        "/api/instances", data=data, headers={"Content-Type": "application/dicom"}
    )
    body = await error_of(response, 413)
    assert "--admin-max-upload" in body["detail"]
    assert api.emulator.index.counts()["instances"] == 0


# -- Fabrication ---------------------------------------------------------------------------


async def test_fabricating_past_the_cap_is_400_naming_it_and_makes_nothing(api):
    body = await error_of(await api.post("/api/fabricate", json={"patients": 100_000_000}), 400)
    assert "at most 100,000" in body["detail"]
    assert "--admin-max-fabricate" in body["detail"]
    assert api.emulator.index.counts()["instances"] == 0


@pytest.mark.config(admin__max_fabricate_instances=20)
async def test_the_fabrication_cap_is_a_setting(api):
    ok = await api.post("/api/fabricate", json={"patients": 2, "instances_per_series": 5})
    assert ok.status == 201
    await error_of(await api.post("/api/fabricate", json={"patients": 3}), 400)
    await error_of(await api.post("/api/fabricate", json={"worklist": 21}), 400)


async def test_fabricate_takes_modalities_as_a_comma_string_or_an_array(api):
    for seed, modalities in enumerate(("US,MG", ["US", "MG"]), start=7):
        response = await api.post(
            "/api/fabricate",
            json={"patients": 1, "series_per_study": 2, "modalities": modalities, "seed": seed},
        )
        assert response.status == 201, await response.text()
    for wrong in (5, ["US", 5], {"US": 1}):
        body = await error_of(await api.post("/api/fabricate", json={"modalities": wrong}), 400)
        assert "array of strings or one comma-separated string" in body["detail"]


@pytest.mark.parametrize(
    "fields",
    [{"materialize": "yes"}, {"worklist": "3"}, {"worklist": -1}, {"stations": 5}, []],
)
async def test_fabricate_fields_of_the_wrong_type_are_400(api, fields):
    await error_of(await api.post("/api/fabricate", json=fields), 400)


# -- Scenarios -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/scenario/validate", "/api/scenario"])
async def test_a_billion_laughs_scenario_is_refused_at_once(api, path, caplog):
    method = "PUT" if path == "/api/scenario" else "POST"
    with caplog.at_level(logging.WARNING):
        body = await error_of(await api.request(method, path, data=BILLION_LAUGHS), 400)
    assert "more than 100,000 values" in body["detail"]
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("name: deep\nrules: " + "[" * 50_000 + "]" * 50_000, "deeper than 32 levels"),
        ('{"name": "deep", "rules": ' + "[" * 50_000 + "]" * 50_000 + "}", "deeper than 32"),
        ("name: many\nrules:\n" + RULE * 1001, "at most 1,000"),
    ],
)
async def test_deep_or_huge_scenarios_are_refused_naming_the_limit(api, text, limit):
    body = await error_of(await api.post("/api/scenario/validate", data=text), 400)
    assert limit in body["detail"]


async def test_rules_added_one_by_one_stop_at_the_rule_limit(api, monkeypatch):
    monkeypatch.setattr("emulator.scenario.bounds.MAX_RULES", 3)
    rule = "{match: {phase: request}, action: {delay: {ms: 1}}}"
    for _ in range(3):
        assert (await api.post("/api/scenario/rules", data=rule)).status == 201
    body = await error_of(await api.post("/api/scenario/rules", data=rule), 400)
    assert "at most 3" in body["detail"]
