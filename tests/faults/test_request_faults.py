"""Scenario actions at the request, response and sub-operation phases, seen by real clients."""

from __future__ import annotations

import time

import pytest
from pynetdicom.sop_class import (
    CTImageStorage,
    MRImageStorage,
    StudyRootQueryRetrieveInformationModelGet,
)

from tests.helpers import associate, find, make_dataset, part10, query, uid, wait_until
from tests.helpers.commitment import CT, TRANSACTION, Modality
from tests.helpers.faults import client, received_kinds
from tests.helpers.mpps import MPPS, completed, create, in_progress, scheduled, set_
from tests.helpers.retrieve import archive, destination, move

__all__ = ["archive", "destination", "scheduled"]  # fixtures shared with the service specs


def rules(emulator, text: str) -> None:
    emulator.load_scenario("name: spec\nrules:\n" + text)


def stored(emulator, count: int) -> None:
    for i in range(1, count + 1):
        emulator.archive.import_instance(part10(make_dataset(study=i, instance=i)))


# -- request ------------------------------------------------------------------------------


def test_status_answers_the_request_with_its_comment_and_offending_element(emulator):
    rules(
        emulator,
        "  - match: {phase: request, service: C-STORE, dataset: {Modality: CT}}\n"
        "    action: {status: {code: 0xA900, error_comment: emulated mismatch,"
        " offending_element: '(0008,0060)'}}\n",
    )
    assoc = associate(emulator.dicom_port, CTImageStorage, MRImageStorage)
    ds = make_dataset()
    status = assoc.send_c_store(ds)
    assert status.Status == 0xA900
    assert status.ErrorComment == "emulated mismatch"
    assert status.OffendingElement == 0x00080060
    mr = make_dataset(modality="MR", instance=2)
    assert assoc.send_c_store(mr).Status == 0x0000  # the rule matches CT data sets only
    assoc.release()
    assert emulator.index.instance(ds.SOPInstanceUID) is None  # nothing stored
    [faulted] = emulator.journal.messages(outcome="fault")
    assert (faulted.status, faulted.faults) == (0xA900, ["rule-1:status"])


def test_first_three_stores_fail_then_every_store_succeeds_per_calling_ae(emulator):
    rules(
        emulator,
        "  - match: {phase: request, service: C-STORE}\n    scope: calling_ae\n    first: 3\n"
        "    action: {status: {code: 0xA700}}\n",
    )
    for calling in ("MOD1", "MOD2"):
        assoc = associate(emulator.dicom_port, CTImageStorage, calling=calling)
        ds = make_dataset(instance=len(calling))
        statuses = [assoc.send_c_store(ds).Status for _ in range(5)]
        assoc.release()
        assert statuses == [0xA700, 0xA700, 0xA700, 0x0000, 0x0000]


def test_delay_slows_the_matching_request_only(emulator):
    rules(
        emulator, "  - match: {phase: request, calling_ae: SLOW}\n    action: {delay: {ms: 400}}\n"
    )
    for calling, slow in (("SLOW", True), ("FAST", False)):
        assoc = associate(emulator.dicom_port, calling=calling)
        started = time.monotonic()
        assert assoc.send_c_echo().Status == 0x0000
        took = time.monotonic() - started
        assoc.release()
        assert (took >= 0.4) is slow


def test_abort_at_request_leaves_nothing_stored(emulator):
    rules(emulator, "  - match: {phase: request, service: C-STORE}\n    action: {abort: {}}\n")
    assoc = client(emulator.dicom_port, CTImageStorage)
    ds = make_dataset()
    status = assoc.send_c_store(ds)
    assert "Status" not in status  # no response: the association was aborted
    assert wait_until(lambda: assoc.is_aborted)
    assert received_kinds(assoc)[-1] == "A_ABORT"
    assert emulator.index.instance(ds.SOPInstanceUID) is None


def test_request_hang_lasts_until_the_client_gives_up(emulator):
    rules(emulator, "  - match: {phase: request, service: C-ECHO}\n    action: {hang: {}}\n")
    assoc = client(emulator.dicom_port)
    assert assoc.is_established
    assoc.dimse_timeout = 0.5  # short for the request only: negotiation may be slow under load
    started = time.monotonic()
    assert "Status" not in assoc.send_c_echo()  # the client's DIMSE timeout, then its abort
    assert time.monotonic() - started >= 0.5
    assert wait_until(lambda: emulator.journal.messages(outcome="fault"))


def test_silent_loss_answers_success_and_stores_nothing(emulator):
    rules(
        emulator,
        "  - match: {phase: request, service: C-STORE}\n    nth: 2\n"
        "    action: {silent_loss: {}}\n",
    )
    assoc = associate(emulator.dicom_port, CTImageStorage)
    sent = [make_dataset(instance=i) for i in (1, 2, 3)]
    assert [assoc.send_c_store(ds).Status for ds in sent] == [0, 0, 0]
    assoc.release()
    kept = [emulator.index.instance(ds.SOPInstanceUID) is not None for ds in sent]
    assert kept == [True, False, True]


def test_close_after_bytes_cuts_a_response_and_the_client_sees_the_connection_drop(emulator):
    rules(
        emulator,
        "  - match: {phase: request, service: C-ECHO}\n"
        "    action: {close: {after_bytes: 8, mode: reset}}\n",
    )
    assoc = client(emulator.dicom_port)
    assert "Status" not in assoc.send_c_echo()
    assert wait_until(lambda: assoc.is_aborted)
    assert received_kinds(assoc)[-1] == "A_P_ABORT"  # the provider saw the transport go


# -- C-FIND: truncate, duplicate, response phase ----------------------------------------


def test_truncate_ends_a_study_find_after_n_matches_with_the_chosen_status(emulator):
    stored(emulator, 6)
    rules(
        emulator,
        "  - match: {phase: request, service: C-FIND, query_level: STUDY}\n"
        "    action: {truncate: {after: 2, status: 0xA700}}\n",
    )
    results, final = find(emulator.dicom_port, query("STUDY", StudyInstanceUID=""))
    assert (len(results), final.Status) == (2, 0xA700)
    rules(
        emulator,
        "  - match: {phase: request, service: C-FIND}\n    action: {truncate: {after: 4}}\n",
    )
    results, final = find(emulator.dicom_port, query("STUDY", StudyInstanceUID=""))
    assert (len(results), final.Status) == (4, 0x0000)  # silently cut: a success


def test_duplicate_sends_a_match_twice(emulator):
    stored(emulator, 3)
    rules(
        emulator,
        "  - match: {phase: request, service: C-FIND}\n"
        "    action: {duplicate: {index: 2, times: 1}}\n",
    )
    results, final = find(emulator.dicom_port, query("STUDY", StudyInstanceUID=""))
    got = [ds.StudyInstanceUID for ds in results]
    assert len(got) == 4
    assert len(set(got)) == 3
    assert got[1] == got[2]
    assert final.Status == 0x0000


def test_response_phase_delays_each_match_and_cuts_off_after_the_nth(emulator):
    stored(emulator, 5)
    rules(
        emulator,
        "  - match: {phase: response, service: C-FIND}\n    scope: request\n    nth: 4\n"
        "    action: {status: {code: 0xC001, error_comment: cut off}}\n"
        "  - match: {phase: response, service: C-FIND}\n    action: {delay: {ms: 100}}\n",
    )
    started = time.monotonic()
    results, final = find(emulator.dicom_port, query("STUDY", StudyInstanceUID=""))
    assert (len(results), final.Status, final.ErrorComment) == (3, 0xC001, "cut off")
    assert time.monotonic() - started >= 0.3
    # scope request: the next C-FIND counts from 1 again
    results, final = find(emulator.dicom_port, query("STUDY", StudyInstanceUID=""))
    assert (len(results), final.Status) == (3, 0xC001)


def test_query_keys_choose_the_rule(emulator):
    stored(emulator, 2)
    rules(
        emulator,
        "  - match: {phase: request, service: C-FIND, query: {PatientID: {glob: 'TEST*'}}}\n"
        "    action: {status: {code: 0xA700}}\n",
    )
    assert find(emulator.dicom_port, query("STUDY", PatientID="TEST1"))[1].Status == 0xA700
    assert find(emulator.dicom_port, query("STUDY", PatientID="PID001"))[1].Status == 0x0000


# -- C-MOVE and C-GET ---------------------------------------------------------------------


def test_every_second_move_suboperation_fails_and_the_final_response_says_so(archive, destination):
    rules(
        archive,
        "  - match: {phase: request, service: C-MOVE, move_destination: DEST}\n"
        "    action: {fail_suboperations: {every: 2}}\n",
    )
    responses, final = move(archive, query("STUDY", StudyInstanceUID=uid(1, 1)))
    assert final.Status == 0xB000  # some sub-operations failed
    assert (final.NumberOfCompletedSuboperations, final.NumberOfFailedSuboperations) == (3, 2)
    assert len(responses[-1][1].FailedSOPInstanceUIDList) == 2
    assert len(destination.uids()) == 3  # the failed ones were never sent


def test_refused_destination_fails_every_suboperation_with_a702(archive, destination):
    rules(
        archive,
        "  - match: {phase: request, service: C-MOVE}\n    action: {refuse_destination: {}}\n",
    )
    _, final = move(archive, query("STUDY", StudyInstanceUID=uid(1, 1)))
    assert final.Status == 0xA702
    assert final.NumberOfFailedSuboperations == 5
    assert "rejected the association" in final.ErrorComment
    assert destination.uids() == set()


def test_abort_the_move_after_three_suboperations(archive, destination):
    rules(
        archive,
        "  - match: {phase: suboperation, service: C-MOVE}\n    scope: request\n    nth: 4\n"
        "    action: {abort: {}}\n",
    )
    responses, _ = move(archive, query("STUDY", StudyInstanceUID=uid(1, 1)))
    pending = [
        s for s, _ in responses if s and s.Status == 0xFF00 and s.NumberOfCompletedSuboperations > 0
    ]
    assert len(pending) == 3
    assert len(destination.uids()) == 3


def test_a_get_suboperation_failing_by_index(archive):
    from pynetdicom import AE, build_role, evt

    rules(
        archive,
        "  - match: {phase: request, service: C-GET}\n"
        "    action: {fail_suboperations: {indexes: [1, 3]}}\n",
    )
    got: list[str] = []
    ae = AE(ae_title="GETTER")
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    ae.add_requested_context(CTImageStorage)
    assoc = ae.associate(
        "127.0.0.1",
        archive.dicom_port,
        ae_title=archive.ae_title,
        ext_neg=[build_role(CTImageStorage, scp_role=True)],
        evt_handlers=[
            (evt.EVT_C_STORE, lambda e: got.append(e.request.AffectedSOPInstanceUID) or 0)
        ],
    )
    responses = list(
        assoc.send_c_get(
            query("STUDY", StudyInstanceUID=uid(1, 1)), StudyRootQueryRetrieveInformationModelGet
        )
    )
    assoc.release()
    final = responses[-1][0]
    assert (final.Status, final.NumberOfFailedSuboperations, len(got)) == (0xB000, 2, 3)


def test_ratio_failures_repeat_with_the_seed(archive, destination):
    text = (
        "name: spec\nseed: 5\nrules:\n  - match: {phase: request, service: C-MOVE}\n"
        "    action: {fail_suboperations: {ratio: 0.5}}\n"
    )
    runs = []
    for _ in range(3):
        archive.load_scenario(text)  # a fresh engine: the same seed, the same draws
        responses, _ = move(archive, query("STUDY", StudyInstanceUID=uid(1, 1)))
        runs.append(list(getattr(responses[-1][1], "FailedSOPInstanceUIDList", [])))
    assert runs[0] == runs[1] == runs[2]
    assert 0 < len(runs[0]) < 5


# -- MPPS and Storage Commitment ------------------------------------------------------------


def test_mpps_broker_refuses_completion_but_takes_the_step(scheduled):
    from pynetdicom import AE

    rules(
        scheduled,
        "  - match: {phase: request, service: N-SET,"
        " dataset: {PerformedProcedureStepStatus: COMPLETED}}\n"
        "    action: {status: {code: 0x0110, error_comment: completion refused}}\n",
    )
    ae = AE(ae_title="CT01")
    ae.add_requested_context(MPPS)
    assoc = ae.associate("127.0.0.1", scheduled.dicom_port, ae_title=scheduled.ae_title)
    assert create(assoc, in_progress())[0].Status == 0x0000
    status, _ = set_(assoc, completed())
    assoc.release()
    assert (status.Status, status.ErrorComment) == (0x0110, "completion refused")
    [(_, step)] = scheduled.archive.procedure_steps.steps()
    assert step.status == "IN PROGRESS"


@pytest.mark.parametrize("kind", ["never", "fail", "delay"])
def test_storage_commitment_faults(emulator, kind):
    emulator.archive.import_instance(part10(make_dataset(instance=1)))
    action = {
        "never": "{never: true}",
        "fail": "{fail: ['*'], reason: 0x0213}",
        "delay": "{delay_s: 0.5}",
    }[kind]
    rules(
        emulator,
        f"  - match: {{phase: request, service: N-ACTION}}\n    action: {{commitment: {action}}}\n",
    )
    modality = Modality()
    started = time.monotonic()
    # held open until the report comes (a busy machine may take over a second), and released
    # before it: a requestor in release cannot answer one
    status = modality.ask(emulator, (CT, uid(1, 1, 1, 1)), keep_open=1.5 if kind == "never" else 10)
    assert status.Status == 0x0000  # the N-ACTION itself is accepted
    [record] = emulator.archive.commitments.all()
    if kind == "never":
        assert modality.reports.empty()
        assert record.state == "pending"
        return
    event_type, info, _ = modality.report()
    if kind == "fail":
        assert event_type == 2
        [failed] = info.FailedSOPSequence
        assert failed.FailureReason == 0x0213  # resource limitation
    else:
        assert event_type == 1
        assert time.monotonic() - started >= 0.5
    assert info.TransactionUID == TRANSACTION


def test_no_scenario_means_no_fault(emulator):
    assoc = associate(emulator.dicom_port)
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
    assert emulator.health()["scenario"] is None
    assert all(not m.faults for m in emulator.journal.messages())


def test_response_phase_duplicate_repeats_that_match(emulator):
    stored(emulator, 2)
    rules(
        emulator,
        "  - match: {phase: response, service: C-FIND}\n    scope: request\n    nth: 1\n"
        "    action: {duplicate: {times: 2}}\n",
    )
    results, final = find(emulator.dicom_port, query("STUDY", StudyInstanceUID=""))
    got = [ds.StudyInstanceUID for ds in results]
    assert got[0] == got[1] == got[2] != got[3]
    assert final.Status == 0x0000


def test_suboperation_status_fails_that_suboperation_only(archive, destination):
    rules(
        archive,
        "  - match: {phase: suboperation, service: C-MOVE}\n    scope: request\n    first: 2\n"
        "    action: {status: {code: 0xA702}}\n",
    )
    responses, final = move(archive, query("STUDY", StudyInstanceUID=uid(1, 1)))
    assert (final.Status, final.NumberOfFailedSuboperations) == (0xB000, 2)
    failed = list(responses[-1][1].FailedSOPInstanceUIDList)
    assert len(failed) == 2
    assert destination.uids().isdisjoint(failed)
