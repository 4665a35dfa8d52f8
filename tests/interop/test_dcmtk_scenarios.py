"""Scenario faults as DCMTK's tools see them: an independent client implementation.

DCMTK reports a rejection or a refused store only in its log lines, so these specs look for
the words DCMTK prints for the codes (its own wording, not ours); answers it writes as files
are read with pydicom.
"""

from __future__ import annotations

import pytest
from pydicom import dcmread

from emulator.remotes import RemoteAE
from tests.helpers import dcmtk, make_dataset, part10, uid
from tests.helpers.dcmtk_destination import movescu, received_uids, storescp

pytestmark = pytest.mark.interop
__all__ = ["storescp"]


def test_echoscu_sees_the_reject_result_source_and_reason(emulator):
    emulator.load_scenario(
        "name: t\nrules:\n  - match: {phase: associate, calling_ae: ECHOSCU}\n"
        "    action: {reject: {result: 1, source: 1, reason: 3}}\n"
    )
    r = dcmtk("echoscu", "-aec", emulator.ae_title, "127.0.0.1", str(emulator.dicom_port))

    assert r.returncode != 0
    assert "Rejected Permanent, Source: Service User" in r.stderr
    assert "Calling AE Title Not Recognized" in r.stderr
    r = dcmtk(
        "echoscu", "-aet", "MOD1", "-aec", "FABRICATOR", "127.0.0.1", str(emulator.dicom_port)
    )
    assert r.returncode == 0, r.stderr  # another calling AE goes through


def test_echoscu_sees_a_transient_local_limit_rejection(emulator):
    emulator.load_scenario(
        "name: t\nrules:\n  - match: {phase: associate}\n"
        "    action: {reject: {result: 2, source: 3, reason: 2}}\n"
    )
    r = dcmtk("echoscu", "-aec", emulator.ae_title, "127.0.0.1", str(emulator.dicom_port))

    assert r.returncode != 0
    assert "Rejected Transient" in r.stderr
    assert "Local Limit Exceeded" in r.stderr


def test_storescu_sees_the_status_and_nothing_is_stored(emulator, tmp_path):
    emulator.load_scenario("name: t\nrules:\n" + _FULL)
    f = tmp_path / "ct.dcm"
    f.write_bytes(part10(make_dataset()))
    r = dcmtk(
        "storescu", "-v", "-aec", emulator.ae_title, "127.0.0.1", str(emulator.dicom_port), str(f)
    )

    assert r.returncode != 0  # storescu exits non-zero when a store is refused
    assert "Received Store Response (Refused: OutOfResources)" in r.stdout + r.stderr
    assert emulator.index.counts()["instances"] == 0
    [message] = emulator.journal.messages(service="C-STORE")
    assert (message.status, message.outcome) == (0xA700, "fault")


_FULL = "  - match: {phase: request, service: C-STORE}\n    action: {status: {code: 0xA700}}\n"


def test_findscu_gets_only_the_matches_before_the_truncation(emulator, tmp_path):
    for i in range(1, 7):
        emulator.archive.import_instance(part10(make_dataset(study=i, instance=i)))
    emulator.load_scenario(
        "name: t\nrules:\n  - match: {phase: request, service: C-FIND, query_level: STUDY}\n"
        "    action: {truncate: {after: 3, status: 0xA700}}\n"
    )
    r = dcmtk(
        "findscu",
        "-S",
        "-aec",
        emulator.ae_title,
        "-k",
        "QueryRetrieveLevel=STUDY",
        "-k",
        "StudyInstanceUID",
        "-X",
        "-od",
        str(tmp_path),
        "127.0.0.1",
        str(emulator.dicom_port),
    )

    answers = [dcmread(p) for p in sorted(tmp_path.glob("rsp*.dcm"))]
    assert len(answers) == 3, r.stdout + r.stderr
    [message] = emulator.journal.messages(service="C-FIND")
    assert (message.status, message.matches) == (0xA700, 3)


def test_movescu_to_storescp_with_failing_suboperations(emulator, storescp):
    port, out = storescp
    for i in range(1, 5):
        emulator.archive.import_instance(part10(make_dataset(instance=i)))
    emulator.remote_aes.put(RemoteAE("dest", "DEST", "127.0.0.1", port))
    emulator.load_scenario(
        "name: t\nrules:\n  - match: {phase: request, service: C-MOVE}\n"
        "    action: {fail_suboperations: {indexes: [2]}}\n"
    )
    r = movescu(emulator, "DEST", uid(1, 1))

    assert received_uids(out) == sorted(uid(1, 1, 1, i) for i in (1, 3, 4)), r.stderr
    [record] = emulator.journal.messages(service="C-MOVE")
    assert (record.status, record.extra["failed"], record.extra["completed"]) == (0xB000, 1, 3)
