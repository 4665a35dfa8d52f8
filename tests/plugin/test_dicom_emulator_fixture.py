"""The pytest plugin (registered through pytest11) as a user's test suite uses it."""

from __future__ import annotations

import threading

import pytest
from pynetdicom.sop_class import CTImageStorage

from emulator.client import AdminClient, AdminError
from tests.helpers import associate, make_dataset, part10, serve_subprocess


def test_the_fixture_is_an_empty_emulator_on_free_ports(dicom_emulator):
    assert dicom_emulator.port > 0
    assert dicom_emulator.ae_title == "FABRICATOR"
    health = dicom_emulator.api.health()
    assert health["counts"]["instances"] == 0
    assert health["scenario"] is None
    assert dicom_emulator.emulator is not None  # in-process


def test_fabricate_upload_journal_and_wait_for(dicom_emulator):
    created = dicom_emulator.fabricate(patients=1, series_per_study=1, instances_per_series=2)
    assert created["instances"] == 2
    [stored] = dicom_emulator.upload(part10(make_dataset()))
    assert stored["replaced"] is False

    def modality() -> None:
        assoc = associate(dicom_emulator.port, CTImageStorage, calling="MOD1")
        for i in (1, 2, 3):
            assoc.send_c_store(make_dataset(instance=i + 10))
        assoc.release()

    threading.Timer(0.2, modality).start()
    assert dicom_emulator.wait_for(service="C-STORE", status=0, count=3, timeout=10) == 3
    assert dicom_emulator.count(service="C-STORE", calling_ae="MOD1") == 3
    with pytest.raises(TimeoutError, match="3 of 4 matching entries"):
        dicom_emulator.wait_for(service="C-STORE", count=4, timeout=0.2)


def test_rules_reset_and_errors_through_the_client(dicom_emulator):
    rule_id = dicom_emulator.add_rule(
        {"match": {"phase": "request", "service": "C-ECHO"}, "action": {"status": {"code": 0xC000}}}
    )
    assoc = associate(dicom_emulator.port)
    assert assoc.send_c_echo().Status == 0xC000
    assoc.release()
    assert dicom_emulator.api.remove_rules(rule_id) == [rule_id]
    with pytest.raises(AdminError) as raised:
        dicom_emulator.load_scenario("name: x\nrules:\n  - match: {phase: nope}\n")
    assert raised.value.status == 400
    fields = [problem["field"] for problem in raised.value.body["problems"]]
    assert "rules[0].match.phase" in fields
    dicom_emulator.reset()
    assert dicom_emulator.journal() == []


class TestSettings:
    @pytest.fixture
    def dicom_emulator_config(self):
        return {"dicom.ae_title": "ARCHIVE"}

    def test_settings_come_from_the_config_fixture(self, dicom_emulator):
        assert dicom_emulator.ae_title == "ARCHIVE"


EXTERNAL = """
def test_against_a_running_emulator(dicom_emulator):
    assert dicom_emulator.emulator is None
    assert dicom_emulator.api.health()["counts"]["instances"] == 0  # reset before the test
    from pynetdicom import AE
    ae = AE()
    ae.add_requested_context("1.2.840.10008.1.1")
    assoc = ae.associate(*dicom_emulator.address, ae_title=dicom_emulator.ae_title)
    assert assoc.send_c_echo().Status == 0
    assoc.release()
    assert dicom_emulator.wait_for(service="C-ECHO", count=1) == 1


def test_one_test_loads_a_scenario(dicom_emulator):
    dicom_emulator.load_scenario(
        "name: leaky\\nrules:\\n  - match: {phase: request}\\n"
        "    action: {status: {code: 0xA700}}\\n"
    )
    assert dicom_emulator.api.health()["scenario"]["name"] == "leaky"


def test_the_next_test_has_none(dicom_emulator):
    assert dicom_emulator.api.health()["scenario"] is None
"""


def test_dicom_emulator_url_drives_an_emulator_in_another_process(pytester, tmp_path):
    proc, ready = serve_subprocess(tmp_path / "data", "--log-level", "warning")
    try:
        proc_api = ready["admin"]
        AdminClient(proc_api).upload(part10(make_dataset()))  # to be reset away
        pytester.makepyfile(EXTERNAL)
        result = pytester.runpytest_subprocess(
            "--dicom-emulator-url", proc_api, "-p", "no:cacheprovider"
        )
        result.assert_outcomes(passed=3)
    finally:
        proc.terminate()
        proc.communicate(timeout=15)
