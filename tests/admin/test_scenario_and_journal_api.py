"""Admin API: the scenario and the request journal, through aiohttp's test client."""

from __future__ import annotations

import asyncio
import threading

import pytest
from pynetdicom.sop_class import CTImageStorage

from emulator.admin.app import make_app
from tests.helpers import associate, make_dataset

FLAKY = """\
name: flaky
seed: 3
rules:
  - id: first-two-fail
    match: {phase: request, service: C-STORE}
    first: 2
    labels: [retry]
    action: {status: {code: 0xA700}}
"""


@pytest.fixture
async def api(aiohttp_client, emulator):
    client = await aiohttp_client(make_app(emulator))
    client.emulator = emulator
    return client


def store(emulator, count: int, calling: str = "MOD1") -> list[int]:
    assoc = associate(emulator.dicom_port, CTImageStorage, calling=calling)
    try:
        return [int(assoc.send_c_store(make_dataset(instance=i + 1)).Status) for i in range(count)]
    finally:
        assoc.release()


async def in_thread(fn, *args):
    return await asyncio.to_thread(fn, *args)


# -- scenario -----------------------------------------------------------------------------


async def test_put_get_and_delete_the_scenario(api):
    response = await api.get("/api/scenario")
    assert response.status == 404
    assert "PUT /api/scenario" in (await response.json())["detail"]

    response = await api.put("/api/scenario", data=FLAKY)
    assert response.status == 200
    body = await response.json()
    assert (body["name"], body["seed"], body["source"]) == ("flaky", 3, "body")

    assert await in_thread(store, api.emulator, 3) == [0xA700, 0xA700, 0]
    body = await (await api.get("/api/scenario")).json()
    [rule] = body["rules"]
    assert (rule["id"], rule["fired"], rule["labels"]) == ("first-two-fail", 2, ["retry"])
    assert body["document"]["rules"][0]["id"] == "first-two-fail"

    response = await api.delete("/api/scenario")
    assert response.status == 204
    assert await in_thread(store, api.emulator, 1) == [0]


async def test_a_scenario_with_problems_is_refused_with_every_line_and_the_old_one_stays(api):
    await api.put("/api/scenario", data=FLAKY)
    broken = "name: x\nrules:\n  - match: {phase: request}\n    probabilty: 2\n    action: {}\n"
    response = await api.put("/api/scenario", data=broken)
    assert response.status == 400
    body = await response.json()
    assert body["error"] == "Bad Request"
    assert body["detail"].startswith("invalid scenario: body:4: rules[0].probabilty")
    assert {(p["line"], p["field"]) for p in body["problems"]} >= {
        (4, "rules[0].probabilty"),
        (5, "rules[0].action"),
    }
    assert body["detail"].startswith("invalid scenario: body:")
    assert (await (await api.get("/api/scenario")).json())["name"] == "flaky"


async def test_validate_checks_json_as_well_as_yaml_without_activating(api):
    as_json = '{"name": "j", "rules": [{"match": {"phase": "request"}, "action": {"pass": {}}}]}'
    response = await api.post("/api/scenario/validate", data=as_json)
    assert (response.status, await response.json()) == (
        200,
        {"valid": True, "name": "j", "rules": 1},
    )
    assert (await api.get("/api/scenario")).status == 404  # not activated
    response = await api.post("/api/scenario/validate", data="name: [\n")
    assert response.status == 400
    assert "not valid YAML" in (await response.json())["detail"]


async def test_reset_starts_the_counters_over(api):
    await api.put("/api/scenario", data=FLAKY)
    assert await in_thread(store, api.emulator, 3) == [0xA700, 0xA700, 0]
    response = await api.post("/api/scenario/reset")
    assert response.status == 200
    assert (await response.json())["rules"][0]["fired"] == 0
    assert await in_thread(store, api.emulator, 1) == [0xA700]


async def test_reload_without_a_file_is_a_conflict_saying_why(api):
    response = await api.post("/api/scenario/reload")
    assert response.status == 409
    assert "--scenario FILE" in (await response.json())["detail"]


async def test_single_rules_are_added_first_and_removed_by_id_or_label(api):
    await api.put("/api/scenario", data=FLAKY)
    response = await api.post(
        "/api/scenario/rules",
        data="match: {phase: request, service: C-STORE, calling_ae: MOD9}\n"
        "times: 1\nlabels: [test-42]\naction: {status: {code: 0xA900}}\n",
    )
    assert response.status == 201
    added = (await response.json())["id"]
    assert added == "api-1"
    # tried before the file's rules, and retired after one firing
    assert await in_thread(store, api.emulator, 4, "MOD9") == [0xA900, 0xA700, 0xA700, 0]
    response = await api.post(
        "/api/scenario/rules?at=end",
        data='{"id": "late", "match": {"phase": "request"}, "action": {"pass": {}}}',
    )
    assert (await response.json())["id"] == "late"
    ids = [r["id"] for r in (await (await api.get("/api/scenario")).json())["rules"]]
    assert ids == ["api-1", "first-two-fail", "late"]

    response = await api.delete("/api/scenario/rules?label=test-42")
    assert await response.json() == {"removed": ["api-1"]}
    assert (await api.delete("/api/scenario/rules/late")).status == 204
    response = await api.delete("/api/scenario/rules/late")
    assert response.status == 404
    ids = [r["id"] for r in (await (await api.get("/api/scenario")).json())["rules"]]
    assert ids == ["first-two-fail"]


async def test_a_rule_without_a_scenario_starts_one_and_a_bad_rule_is_refused(api):
    response = await api.post(
        "/api/scenario/rules", data="match: {phase: associate}\naction: {max_pdu: {bytes: 4096}}"
    )
    assert response.status == 201
    assert (await response.json())["scenario"]["name"] == "api"
    response = await api.post(
        "/api/scenario/rules", data="match: {phase: connect, service: C-ECHO}\naction: {pass: {}}"
    )
    assert response.status == 400
    [problem] = (await response.json())["problems"]
    assert (problem["line"], problem["field"]) == (1, "match.service")
    response = await api.post("/api/scenario/rules", data="id: api-1\nmatch: {phase: request}")
    assert response.status == 400
    response = await api.post("/api/scenario/rules?at=middle", data="{}")
    assert response.status == 400


async def test_added_rules_survive_a_scenario_reset(api):
    await api.post(
        "/api/scenario/rules",
        data="id: once\nmatch: {phase: request, service: C-STORE}\nfirst: 1\n"
        "action: {status: {code: 0xA700}}",
    )
    assert await in_thread(store, api.emulator, 2) == [0xA700, 0]
    await api.post("/api/scenario/reset")
    assert await in_thread(store, api.emulator, 2) == [0xA700, 0]


# -- journal ------------------------------------------------------------------------------


async def test_journal_lists_filters_and_counts_messages_and_associations(api):
    await api.put("/api/scenario", data=FLAKY)
    await in_thread(store, api.emulator, 3, "MOD1")
    await in_thread(store, api.emulator, 1, "MOD2")

    body = await (await api.get("/api/journal?service=C-STORE&calling_ae=MOD1")).json()
    assert body["count"] == 3
    assert [e["status"] for e in body["entries"]] == ["0xA700", "0xA700", "0x0000"]
    assert body["entries"][0]["faults"] == ["first-two-fail:status"]
    assert body["entries"][0]["kind"] == "message"

    count = await (await api.get("/api/journal/count?status=0x0000")).json()
    assert count == {"count": 2}
    count = await (await api.get("/api/journal/count?fault=first-two-fail&outcome=fault")).json()
    assert count == {"count": 2}
    count = await (await api.get("/api/journal/count?calling_ae=MOD*&status=42752")).json()
    assert count == {"count": 2}
    for sop_class in ("CTImageStorage", "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.*"):
        count = await (await api.get(f"/api/journal/count?sop_class={sop_class}")).json()
        assert count == {"count": 4}, sop_class
    body = await (await api.get("/api/journal?kind=association&calling_ae=MOD2")).json()
    [assoc] = body["entries"]
    assert (assoc["kind"], assoc["outcome"], assoc["called_ae"]) == (
        "association",
        "released",
        "FABRICATOR",
    )
    entry = await (await api.get(f"/api/journal/{assoc['id']}")).json()
    assert entry == assoc


async def test_journal_pages_with_since_and_limit(api):
    await in_thread(store, api.emulator, 5)
    page = await (await api.get("/api/journal?service=C-STORE&limit=2")).json()
    assert (len(page["entries"]), page["count"]) == (2, 5)
    rest = await (await api.get(f"/api/journal?service=C-STORE&since={page['next']}")).json()
    assert len(rest["entries"]) == 3
    assert rest["next"] is None


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("kind=pdu", "kind must be one of message, association"),
        ("servce=C-STORE", "unknown message field servce; known:"),
        ("status=ok", "status must be an integer or 0x hex"),
        ("kind=association&service=C-ECHO", "unknown association field service"),
        ("limit=many", "limit must be an integer"),
    ],
)
async def test_a_bad_journal_filter_is_400_naming_the_fields(api, query, words):
    response = await api.get(f"/api/journal?{query}")
    assert response.status == 400
    assert words in (await response.json())["detail"]


async def test_journal_wait_returns_once_the_count_is_reached(api):
    emulator = api.emulator
    threading.Timer(0.3, store, args=(emulator, 3)).start()
    response = await api.post(
        "/api/journal/wait",
        json={"pattern": {"service": "C-STORE", "status": 0}, "count": 3, "timeout_ms": 10000},
    )
    assert (response.status, await response.json()) == (200, {"count": 3})


async def test_journal_wait_times_out_with_408_and_the_count_reached(api):
    await in_thread(store, api.emulator, 1)
    response = await api.post(
        "/api/journal/wait",
        json={"pattern": {"service": "C-STORE"}, "count": 2, "timeout_ms": 200},
    )
    assert response.status == 408
    body = await response.json()
    assert (body["count"], body["status"]) == (1, 408)
    assert "1 of 2 matching entries after 200 ms" in body["detail"]
    response = await api.post("/api/journal/wait", data="{nope")
    assert response.status == 400
    response = await api.post("/api/journal/wait", json={"timeout_ms": 10**9})
    assert response.status == 400


async def test_journal_clear_and_a_missing_entry(api):
    await in_thread(store, api.emulator, 1)
    assert (await api.delete("/api/journal")).status == 204
    assert await (await api.get("/api/journal/count?kind=association")).json() == {"count": 0}
    response = await api.get("/api/journal/99999")
    assert response.status == 404
    assert "never made, or cleared" in (await response.json())["detail"]
