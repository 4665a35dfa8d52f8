"""Every example in scenarios/, loaded as a user would and driven by a real client."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from pynetdicom import AE
from pynetdicom.sop_class import CTImageStorage, Verification

from tests.helpers import (
    PYDICOM_DATA,
    associate,
    find,
    make_dataset,
    part10,
    query,
    registered_scp,
    uid,
    wait_until,
)
from tests.helpers.commitment import CT, Modality
from tests.helpers.dcmtk_destination import storescp
from tests.helpers.faults import client, received_kinds
from tests.helpers.mpps import MPPS, completed, create, in_progress, scheduled, set_
from tests.helpers.retrieve import archive, move

__all__ = ["archive", "scheduled", "storescp"]  # fixtures shared with the service specs

SCENARIOS = Path(__file__).parent.parent.parent / "scenarios"
TESTED: set[str] = set()


def use(emulator, name: str) -> None:
    TESTED.add(name)
    emulator.scenario.load_file(SCENARIOS / name)


def store_until_success(port: int, ds, calling: str, tries: int = 5) -> list[int]:
    """A modality that retries a refused C-STORE: the statuses it saw."""
    statuses = []
    assoc = associate(port, CTImageStorage, calling=calling)
    for _ in range(tries):
        statuses.append(int(assoc.send_c_store(ds).Status))
        if statuses[-1] == 0x0000:
            break
    assoc.release()
    return statuses


def test_flaky_archive_first_three_stores_fail_then_a_retrying_modality_gets_through(emulator):
    use(emulator, "flaky-archive.yaml")
    ds = make_dataset()
    assert store_until_success(emulator.dicom_port, ds, "MOD1") == [0xA700] * 3 + [0]
    assert store_until_success(emulator.dicom_port, ds, "MOD2") == [0xA700] * 3 + [0]
    assert emulator.index.instance(ds.SOPInstanceUID) is not None


def test_full_disk_refuses_every_store_and_still_answers_echo_and_find(emulator):
    emulator.archive.import_instance(part10(make_dataset(instance=9)))
    use(emulator, "full-disk.yaml")
    assoc = associate(emulator.dicom_port, CTImageStorage, Verification)
    status = assoc.send_c_store(make_dataset())
    assert status.Status == 0xA700
    assert "no space left" in status.ErrorComment
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
    assert len(find(emulator.dicom_port, query("STUDY", StudyInstanceUID=""))[0]) == 1


def test_slow_archive_waits_at_least_200_ms_a_request(emulator):
    use(emulator, "slow-archive.yaml")
    assoc = associate(emulator.dicom_port)
    started = time.monotonic()
    assert assoc.send_c_echo().Status == 0x0000
    assert time.monotonic() - started >= 0.2
    assoc.release()


def test_reject_unknown_aes_turns_away_titles_not_starting_with_mod(emulator):
    use(emulator, "reject-unknown-aes.yaml")
    assert client(emulator.dicom_port, calling="MOD7").is_established
    stranger = client(emulator.dicom_port, calling="STRANGER")
    assert stranger.is_rejected
    rj = stranger.acceptor.primitive
    assert (rj.result, rj.result_source, rj.diagnostic) == (1, 1, 3)


def test_overloaded_archive_rejects_every_third_association_as_local_limit(emulator):
    use(emulator, "overloaded-archive.yaml")
    outcomes = []
    for _ in range(6):
        assoc = client(emulator.dicom_port)
        if assoc.is_rejected:
            rj = assoc.acceptor.primitive
            outcomes.append((rj.result, rj.result_source, rj.diagnostic))
        else:
            started = time.monotonic()
            assert assoc.send_c_echo().Status == 0x0000
            assert time.monotonic() - started >= 0.1
            assoc.release()
            outcomes.append("accepted")
    assert outcomes == ["accepted", "accepted", (2, 3, 2)] * 2


def test_archive_restarting_rejects_twice_then_accepts(emulator):
    use(emulator, "archive-restarting.yaml")
    tries = [client(emulator.dicom_port) for _ in range(3)]
    assert [a.is_rejected for a in tries] == [True, True, False]
    assert tries[0].acceptor.primitive.result == 2  # transient
    assert emulator.scenario.engine.stage == "up"
    tries[2].release()


def test_flaky_network_drops_the_same_requests_in_every_run(emulator):
    def run() -> list[bool]:
        use(emulator, "flaky-network.yaml")  # a fresh engine with the file's seed
        answered = []
        for _ in range(12):
            assoc = client(emulator.dicom_port)
            assert assoc.is_established
            answered.append("Status" in assoc.send_c_echo())
            if assoc.is_established:
                assoc.release()
        return answered

    first, second = run(), run()
    assert first == second
    assert 0 < first.count(False) < 12  # some dropped, not all


def test_failing_move_destination(archive):
    use(archive, "failing-move-destination.yaml")
    with registered_scp(archive, "VIEWER") as viewer:
        _, final = move(archive, query("STUDY", StudyInstanceUID=uid(1, 1)), "VIEWER")
        assert final.Status == 0xA702
        assert viewer.uids() == set()
    with registered_scp(archive, "WORKSTATION") as other:
        _, final = move(archive, query("STUDY", StudyInstanceUID=uid(1, 1)), "WORKSTATION")
        assert final.Status == 0xB000
        assert final.NumberOfFailedSuboperations == 1  # the 3rd of 5
        assert len(other.uids()) == 4


def test_truncating_queries_caps_broad_study_queries_at_five(emulator):
    for i in range(1, 9):
        emulator.archive.import_instance(part10(make_dataset(study=i, instance=i)))
    use(emulator, "truncating-queries.yaml")
    results, final = find(emulator.dicom_port, query("STUDY", StudyInstanceUID="", StudyDate=""))
    assert (len(results), final.Status) == (5, 0x0000)  # silently cut
    dated = query("STUDY", StudyInstanceUID="", StudyDate="20200101-20201231")
    assert len(find(emulator.dicom_port, dated)[0]) == 8


def test_commitment_never_answers(emulator):
    emulator.archive.import_instance(part10(make_dataset(instance=1)))
    use(emulator, "commitment-never-answers.yaml")
    modality = Modality()
    assert modality.ask(emulator, (CT, uid(1, 1, 1, 1)), keep_open=1.0).Status == 0x0000
    assert modality.reports.empty()
    [record] = emulator.archive.commitments.all()
    assert record.state == "pending"


def test_mpps_refuses_completion(scheduled):
    use(scheduled, "mpps-refuses-completion.yaml")
    ae = AE(ae_title="CT01")
    ae.add_requested_context(MPPS)
    assoc = ae.associate("127.0.0.1", scheduled.dicom_port, ae_title=scheduled.ae_title)
    assert create(assoc, in_progress())[0].Status == 0x0000
    assert set_(assoc, completed())[0].Status == 0x0110
    assoc.release()


# pynetdicom's own requestor, giving up on a release, sends a second A-ABORT from Sta13 and its
# DUL thread raises InvalidEventError: the client's failure, not the emulator's.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_legacy_release_gets_no_reply_until_the_client_gives_up(emulator):
    use(emulator, "legacy-release.yaml")
    assoc = client(emulator.dicom_port)
    assert assoc.is_established
    assoc.acse_timeout = 0.5  # short for the release only: negotiation may be slow under load
    started = time.monotonic()
    assoc.release()  # pynetdicom waits its ACSE timeout, then aborts
    assert not assoc.is_released
    assert time.monotonic() - started >= 0.5
    assert "A_RELEASE" not in received_kinds(assoc)
    ended = lambda: [a.outcome for a in emulator.journal.associations()]  # noqa: E731
    assert wait_until(lambda: ended() in (["aborted"], ["dropped"]))  # never "released"


def test_flaky_dicomweb_busy_twice_then_cuts_every_third_retrieve(emulator):
    emulator.archive.import_instance((PYDICOM_DATA / "test_files" / "CT_small.dcm").read_bytes())
    use(emulator, "flaky-dicomweb.yaml")
    base = f"{emulator.admin_url}/dicom-web"
    searches = [requests.get(f"{base}/studies", timeout=10) for _ in range(3)]
    assert [r.status_code for r in searches] == [503, 503, 200]
    assert searches[0].headers["Retry-After"] == "1"
    study = searches[2].json()[0]["0020000D"]["Value"][0]
    outcomes = []
    for _ in range(3):
        try:
            outcomes.append(requests.get(f"{base}/studies/{study}", timeout=10).status_code)
        except requests.exceptions.ChunkedEncodingError:
            outcomes.append("cut")
    assert outcomes == [200, 200, "cut"]


@pytest.mark.interop
def test_unreliable_modality_loses_an_image_on_its_way_to_dcmtk_storescp(emulator, storescp):
    from emulator.remotes import RemoteAE
    from tests.helpers.hl7 import orm

    port, received = storescp
    emulator.remote_aes.put(RemoteAE("pacs", "DEST", "127.0.0.1", port))
    use(emulator, "unreliable-modality.yaml")
    assert emulator.receive_hl7(orm(accession="UNRELIABLE-1")).ack_code == "AA"
    [item] = emulator.archive.worklist.items()
    made = emulator.archive.acquire(item.pk, send_to="pacs")
    assert (made.delivery["sent"], len(made.delivery["omitted"])) == (9, 1)
    assert len(list(received.iterdir())) == 9
    [(_, step)] = emulator.archive.procedure_steps.steps()
    assert step.status == "COMPLETED"  # a CT: the MR rule leaves it alone


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_is_used_by_a_spec_here(path):
    source = Path(__file__).read_text(encoding="utf-8")
    assert f'"{path.name}"' in source, f"{path.name} has no spec in {Path(__file__).name}"
