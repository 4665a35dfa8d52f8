"""POST /api/reset: back to a clean archive between tests, or keep chosen parts."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from pynetdicom.sop_class import CTImageStorage

from emulator import Emulator
from emulator.admin.app import make_app
from storage.fabrication_spec import FabricationSpec
from tests.conftest import make_config
from tests.helpers import associate, make_dataset, part10, wait_until
from tests.helpers.faults import client
from tests.helpers.worklist import WORKLIST_ITEM

SMALL = FabricationSpec(
    seed=2, patients=1, series_per_study=1, instances_per_series=2, modalities=("CT",)
)
RULE = "id: added\nmatch: {phase: request, service: C-ECHO}\naction: {status: {code: 0xA700}}"


@pytest.fixture
async def api(aiohttp_client, emulator):
    client = await aiohttp_client(make_app(emulator))
    client.emulator = emulator
    return client


def fill(emulator) -> None:
    """Two received instances, two fabricated, a worklist item, journal entries, a scenario
    with a rule added at run time that has fired."""
    emulator.load_scenario(
        "name: base\nrules:\n  - match: {phase: release}\n    action: {pass: {}}\n"
    )
    emulator.scenario.add_rule(RULE)
    assoc = associate(emulator.dicom_port, CTImageStorage, calling="MOD1")
    for i in (1, 2):
        assert assoc.send_c_store(make_dataset(instance=i)).Status == 0
    assoc.release()
    emulator.archive.fabricate(SMALL)
    emulator.archive.add_worklist_items(WORKLIST_ITEM)


def files(emulator) -> list:
    return [p for p in (emulator.config.storage.data_dir / "objects").rglob("*") if p.is_file()]


async def test_reset_clears_every_part(api):
    emulator = api.emulator
    await asyncio.to_thread(fill, emulator)
    assert emulator.index.counts()["instances"] == 4
    assert files(emulator)

    response = await api.post("/api/reset")
    assert response.status == 200
    body = await response.json()
    assert body["kept"] == []
    assert body["instances_removed"] == 4
    assert set(body["cleared"]) >= {"received", "fabricated", "worklist", "journal", "scenario"}
    assert emulator.index.counts() == {"patients": 0, "studies": 0, "series": 0, "instances": 0}
    assert files(emulator) == []
    assert emulator.archive.worklist.items() == []
    assert emulator.journal.messages() == []
    # a scenario loaded at run time goes with its rules: the next test starts without one
    assert emulator.scenario.summary() is None
    assert (await api.get("/api/scenario")).status == 404
    # and it still works as an archive
    assoc = associate(emulator.dicom_port, CTImageStorage)
    assert assoc.send_c_store(make_dataset(instance=9)).Status == 0
    assoc.release()
    assert emulator.index.counts()["instances"] == 1


async def test_reset_keeps_the_parts_asked_for(api):
    emulator = api.emulator
    await asyncio.to_thread(fill, emulator)
    response = await api.post("/api/reset", json={"keep": ["fabricated", "scenario", "journal"]})
    assert response.status == 200
    assert (await response.json())["instances_removed"] == 2
    assert emulator.index.counts()["instances"] == 2  # the fabricated study
    received = [make_dataset(instance=i).SOPInstanceUID for i in (1, 2)]
    assert all(emulator.index.instance(uid) is None for uid in received)
    assert [r["id"] for r in emulator.scenario.summary()["rules"]] == ["added", "rule-1"]
    assert emulator.journal.messages(service="C-STORE")
    assert emulator.archive.worklist.items() == []


async def test_reset_aborts_live_associations_and_ends_delays_in_flight(api):
    emulator = api.emulator
    emulator.load_scenario(
        "name: slow\nrules:\n  - match: {phase: request}\n    action: {delay: {ms: 60000}}\n"
    )
    assoc = client(emulator.dicom_port, timeout=90)
    thread = threading.Thread(target=assoc.send_c_echo)
    thread.start()
    assert await asyncio.to_thread(wait_until, lambda: emulator.journal.messages(service="C-ECHO"))
    started = time.monotonic()
    response = await api.post("/api/reset", json={"keep": ["scenario"]})
    assert response.status == 200
    await asyncio.to_thread(thread.join, 10)
    assert not thread.is_alive()
    assert time.monotonic() - started < 10  # not the 60 s delay
    assert await asyncio.to_thread(wait_until, lambda: assoc.is_aborted)
    # the scenario is kept, and later delays wait again
    assert emulator.scenario.engine is not None
    assert not emulator.scenario.engine.cancelled.is_set()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"keep": ["studies"]}, "unknown part 'studies': the parts are received, fabricated"),
        ({"keep": "journal"}, '"keep" is a list of part names'),
        (b"[1, 2]", 'the body is {"keep": [parts]} or empty'),
        (b"{nope", "the body is not JSON (Expecting property name"),
    ],
)
async def test_a_bad_reset_is_400_and_resets_nothing(api, body, words):
    emulator = api.emulator
    emulator.archive.add_worklist_items(WORKLIST_ITEM)
    kwargs = {"data": body} if isinstance(body, bytes) else {"json": body}
    response = await api.post("/api/reset", **kwargs)
    assert response.status == 400
    answer = await response.json()
    assert words in answer["error"] + answer["detail"]
    assert len(emulator.archive.worklist.items()) == 1


@pytest.mark.config(commitment__delay=60)
async def test_reset_ends_a_commitment_report_waiting_out_its_delay(api):
    from tests.helpers.commitment import CT, Modality

    emulator = api.emulator
    emulator.archive.import_instance(part10(make_dataset(instance=1)))
    modality = Modality()
    status = await asyncio.to_thread(modality.ask, emulator, (CT, make_dataset().SOPInstanceUID))
    assert status.Status == 0
    response = await api.post("/api/reset", json={"keep": ["commitments", "received"]})
    assert response.status == 200

    def undeliverable() -> bool:
        [record] = emulator.archive.commitments.all()
        return record.state == "undeliverable"

    assert await asyncio.to_thread(wait_until, undeliverable)  # not after 60 s
    [record] = emulator.archive.commitments.all()
    assert record.detail == "the emulator stopped or was reset"


async def test_reset_drops_a_scenario_that_only_added_rules_made(api):
    await api.post("/api/scenario/rules", data=RULE)
    assert api.emulator.scenario.summary()["name"] == "api"
    await api.post("/api/reset")
    assert api.emulator.scenario.summary() is None
    assert (await api.get("/api/scenario")).status == 404


async def test_reset_goes_back_to_the_scenario_file_the_emulator_was_started_with(
    aiohttp_client, tmp_path
):
    path = tmp_path / "base.yaml"
    path.write_text("name: base\nrules:\n  - match: {phase: release}\n    action: {pass: {}}\n")
    with Emulator(make_config(tmp_path / "data", scenario__file=path)) as emulator:
        api = await aiohttp_client(make_app(emulator))
        other = "name: other\nrules:\n  - match: {phase: associate}\n    action: {pass: {}}\n"
        assert (await api.put("/api/scenario", data=other)).status == 200
        assert (await api.post("/api/scenario/rules", data=RULE)).status == 201
        body = await (await api.post("/api/reset")).json()
        assert "scenario" in body["cleared"]
        summary = emulator.scenario.summary()
        assert (summary["name"], summary["source"]) == ("base", str(path))
        assert [r["id"] for r in summary["rules"]] == ["rule-1"]
