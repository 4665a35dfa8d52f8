"""``serve --scenario``, ``check``, SIGHUP reload under load, and determinism over the wire."""

from __future__ import annotations

import json
import signal
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from emulator import Emulator
from emulator.cli import main
from tests.conftest import make_config
from tests.helpers import associate, serve_subprocess, wait_until
from tests.helpers.faults import client, received_kinds

FIRST = """\
name: first
seed: 11
rules:
  - id: probe-a700
    match: {phase: request, service: C-ECHO, calling_ae: PROBE}
    action: {status: {code: 0xA700}}
"""
SECOND = FIRST.replace("name: first", "name: second").replace("0xA700", "0xC001")
BROKEN = """\
name: broken
rules:
  - match: {phase: request, servce: C-ECHO}
    action: {status: {code: 0xA700}}
"""


def probe(port: int) -> int:
    assoc = associate(port, calling="PROBE")
    try:
        return int(assoc.send_c_echo().Status)
    finally:
        assoc.release()


def test_serve_refuses_an_invalid_scenario_naming_file_line_and_field(tmp_path, capsys):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)

    assert main(["serve", "--scenario", str(path), "--data-dir", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3: rules[0].match.servce: unknown field 'servce'" in err
    assert not (tmp_path / "d").exists()  # nothing opened


def test_check_validates_the_scenario_too(tmp_path, capsys):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    assert main(["check", "--scenario", str(path)]) == 2
    assert "broken.yaml:3" in capsys.readouterr().err
    path.write_text(FIRST)
    assert main(["check", "--scenario", str(path), "--scenario-seed", "5"]) == 0
    effective = json.loads(capsys.readouterr().out)
    assert (effective["scenario.file"], effective["scenario.seed"]) == (str(path), 5)


def test_sighup_reloads_under_load_without_losing_an_association(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text(FIRST)
    proc, ready = serve_subprocess(
        tmp_path / "data", "--scenario", str(path), "--log-level", "warning"
    )
    port = int(ready["dicom"].rsplit(":", 1)[1])
    assert (ready["scenario"], ready["seed"]) == ("first", "11")
    stop, outcomes = threading.Event(), []

    def load(n: int) -> None:
        while not stop.is_set():
            assoc = client(port, calling=f"LOAD{n}")
            if not assoc.is_established:  # lost: rejected, aborted or timed out
                outcomes.append((False, [received_kinds(assoc), assoc.is_rejected]))
                continue
            echoes = [assoc.send_c_echo().get("Status") for _ in range(5)]
            assoc.release()
            outcomes.append((assoc.is_released, echoes))

    workers = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    try:
        for worker in workers:
            worker.start()
        assert probe(port) == 0xA700
        path.write_text(SECOND)
        proc.send_signal(signal.SIGHUP)
        assert wait_until(lambda: probe(port) == 0xC001)
        path.write_text(BROKEN)  # refused: the second scenario stays in force
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert probe(port) == 0xC001
        health = json.load(urllib.request.urlopen(ready["admin"] + "/api/health", timeout=5))
        assert health["scenario"]["name"] == "second"
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert len(outcomes) >= 8
    lost = [o for o in outcomes if not (o[0] and o[1] == [0] * 5)]
    assert not lost, lost
    assert "scenario not reloaded, the active one stays" in err
    assert "scenario.yaml:3: rules[0].match.servce" in err


FLAKY = """\
name: flaky
rules:
  - match: {phase: request, service: C-ECHO}
    scope: calling_ae
    probability: 0.5
    action: {status: {code: 0xA700}}
"""


@pytest.mark.parametrize("seed", [3])
def test_two_runs_with_the_same_seed_answer_the_same_requests_the_same(tmp_path, seed):
    """Two clients in parallel threads; each sees the draws of its own calling AE only."""

    def run(seed: int, name: str) -> dict[str, list[int]]:
        config = make_config(tmp_path / name, scenario__seed=seed)
        seen: dict[str, list[int]] = {"MOD1": [], "MOD2": []}
        with Emulator(config) as emu:
            emu.load_scenario(FLAKY)

            def modality(ae: str) -> None:
                assoc = associate(emu.dicom_port, calling=ae)
                seen[ae] = [int(assoc.send_c_echo().Status) for _ in range(20)]
                assoc.release()

            threads = [threading.Thread(target=modality, args=(ae,)) for ae in seen]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            fired = [m.faults for m in emu.journal.messages() if m.calling_ae == "MOD1"]
            assert [bool(f) for f in fired] == [s == 0xA700 for s in seen["MOD1"]]
        return seen

    first, again, other = run(seed, "a"), run(seed, "b"), run(seed + 1, "c")
    assert first == again
    assert first != other
    assert 0 < first["MOD1"].count(0xA700) < 20


def test_the_seed_in_force_is_reported(tmp_path):
    with Emulator(make_config(tmp_path / "d")) as emu:
        emu.load_scenario(FLAKY)  # no seed anywhere: one is chosen
        health = emu.health()
        assert isinstance(health["seed"], int)
        assert health["scenario"]["seed"] == health["seed"]
        assert health["scenario"]["rules"] == [
            {"id": "rule-1", "action": "status", "fired": 0, "remaining": None, "labels": []}
        ]


def test_stop_ends_a_delay_in_flight_at_once(tmp_path):
    emu = Emulator(make_config(tmp_path / "d")).start()
    emu.load_scenario(
        "name: t\nrules:\n  - match: {phase: request}\n    action: {delay: {ms: 60000}}\n"
    )
    assoc = client(emu.dicom_port, timeout=90)
    thread = threading.Thread(target=assoc.send_c_echo)
    thread.start()
    assert wait_until(lambda: emu.journal.messages(service="C-ECHO"))
    started = time.monotonic()
    emu.stop()
    assert time.monotonic() - started < 10  # not the 60 s delay
    thread.join(timeout=10)


def test_relative_scenario_path_in_a_config_file_resolves_against_the_file(tmp_path, capsys):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "s.yaml").write_text(FIRST)
    config = tmp_path / "conf" / "fabricator.toml"
    config.write_text('[scenario]\nfile = "s.yaml"\nseed = 9\n')
    assert main(["check", "--config", str(config)]) == 0
    effective = json.loads(capsys.readouterr().out)
    assert Path(effective["scenario.file"]) == tmp_path / "conf" / "s.yaml"
