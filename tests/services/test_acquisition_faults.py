"""Scenario rules on a simulated acquisition's own steps (phase ``acquisition``): the
emulator, playing the modality, leaves out or discontinues its MPPS, scans slowly, loses an
image, sends one twice, or aborts, cuts or throttles its association to the PACS under test;
each rule that fires is on the step's journal record."""

from __future__ import annotations

import threading
import time

import pytest

from tests.helpers.hl7 import orm


@pytest.fixture
def pacs(emulator, tmp_path):
    """A second emulator as the PACS under test, registered with *emulator* as ``pacs``."""
    from emulator import Emulator
    from emulator.remotes import RemoteAE
    from tests.conftest import make_config

    with Emulator(make_config(tmp_path / "pacs")) as archive:
        emulator.remote_aes.put(RemoteAE("pacs", archive.ae_title, "127.0.0.1", archive.dicom_port))
        yield archive


def ordered(emulator, accession: str) -> int:
    assert emulator.receive_hl7(orm(accession=accession)).ack_code == "AA"
    [item] = emulator.archive.worklist.items()
    return item.pk


def steps(emulator) -> list[tuple[str, str, list[str]]]:
    """The acquisition's journal records: step, outcome and the rules that fired."""
    records = emulator.journal.messages(calling_ae="ACQUISITION")
    return [(r.service, r.outcome, r.faults) for r in sorted(records, key=lambda r: r.id)]


def acquired_under(emulator, rule: str, accession: str):
    """The worklist item of a new order for *accession*, acquired under one *rule* (YAML)."""
    emulator.load_scenario(f"name: spec\nrules:\n  - {rule}\n")
    item = ordered(emulator, accession)
    emulator.archive.acquire(item)
    return item


def sent_under(emulator, rule: str, accession: str, commit: bool = False):
    """What an acquisition of a new order sent to the PACS did, under one *rule* (YAML)."""
    emulator.load_scenario(f"name: spec\nrules:\n  - {rule}\n")
    made = emulator.archive.acquire(ordered(emulator, accession), send_to="pacs", commit=commit)
    return made.delivery


def the_mpps(emulator):
    [(_, step)] = emulator.archive.procedure_steps.steps()
    return step


def test_a_discontinued_step_ends_the_mpps_and_the_item_with_its_reason(emulator):
    emulator.load_scenario("""
name: modality-gives-up
rules:
  - id: patient-refused
    match: {phase: acquisition, service: N-SET}
    action: {discontinue: {reason: "110505"}}
""")
    item = ordered(emulator, "ACQ-F1")
    made = emulator.archive.acquire(item)
    assert made.instances == 10  # what was acquired is in the archive
    step = the_mpps(emulator)
    assert step.status == "DISCONTINUED"
    [reason] = step.attributes.PerformedProcedureStepDiscontinuationReasonCodeSequence
    assert (reason.CodeValue, reason.CodingSchemeDesignator) == ("110505", "DCM")
    assert reason.CodeMeaning == "Patient refused to continue procedure"
    assert len(step.attributes.PerformedSeriesSequence) == 2
    assert emulator.archive.worklist.get(item).state == "DISCONTINUED"
    assert ("N-SET", "ok", ["patient-refused:discontinue"]) in steps(emulator)


def test_a_left_out_n_set_leaves_the_step_in_progress(emulator):
    rule = "{match: {phase: acquisition, service: N-SET}, action: {omit: {}}}"
    item = acquired_under(emulator, rule, "ACQ-F2")
    assert the_mpps(emulator).status == "IN PROGRESS"
    assert emulator.archive.worklist.get(item).state == "IN PROGRESS"
    assert emulator.index.counts()["instances"] == 10
    assert ("N-SET", "fault", ["rule-1:omit"]) in steps(emulator)


def test_a_modality_without_mpps_leaves_the_item_scheduled(emulator):
    rule = "{match: {phase: acquisition, service: N-CREATE}, action: {omit: {}}}"
    item = acquired_under(emulator, rule, "ACQ-F3")
    assert emulator.archive.procedure_steps.steps() == []
    assert emulator.archive.worklist.get(item).state == "SCHEDULED"
    assert emulator.index.counts()["instances"] == 10
    assert [s for s, _, _ in steps(emulator)] == ["ACQUIRE", "N-CREATE"]


def test_a_slow_scan_keeps_the_step_in_progress_until_its_images_are_made(emulator):
    emulator.load_scenario("""
name: slow-scan
rules:
  - match: {phase: acquisition, service: ACQUIRE, dataset: {Modality: CT}}
    action: {delay: {ms: 600000}}
""")
    item = ordered(emulator, "ACQ-F4")
    done = threading.Event()
    threading.Thread(target=lambda: (emulator.archive.acquire(item), done.set())).start()
    assert emulator.journal.wait_for(lambda: the_mpps_status(emulator) == "IN PROGRESS")
    assert emulator.archive.worklist.get(item).state == "IN PROGRESS"
    assert emulator.index.counts()["instances"] == 0  # still scanning
    emulator.reset_scenario()  # a reset ends the delay in flight
    assert done.wait(30)
    assert the_mpps(emulator).status == "COMPLETED"
    assert emulator.index.counts()["instances"] == 10


def the_mpps_status(emulator) -> str:
    found = emulator.archive.procedure_steps.steps()
    return found[0][1].status if found else ""


def test_a_rule_for_another_modality_leaves_the_acquisition_alone(emulator):
    emulator.load_scenario("""
name: mr-only
rules:
  - match: {phase: acquisition, service: N-SET, dataset: {Modality: MR}}
    action: {omit: {}}
""")
    emulator.archive.acquire(ordered(emulator, "ACQ-F5"))  # a CT order
    assert the_mpps(emulator).status == "COMPLETED"


def test_a_lost_image_is_not_sent_but_listed_in_the_mpps_and_the_commitment(emulator, pacs):
    emulator.load_scenario("""
name: loses-the-third-image
rules:
  - {match: {phase: acquisition, service: C-STORE}, scope: request, nth: 3, action: {omit: {}}}
""")
    made = emulator.archive.acquire(ordered(emulator, "ACQ-F6"), send_to="pacs", commit=True)
    delivery = made.delivery
    assert (delivery["sent"], delivery["failed"], len(delivery["omitted"])) == (9, [], 1)
    assert delivery["commitment"].startswith("requested")
    assert pacs.index.counts()["instances"] == 9
    [lost] = delivery["omitted"]
    assert pacs.index.instance(lost) is None
    performed = the_mpps(emulator).attributes.PerformedSeriesSequence
    listed = {i.ReferencedSOPInstanceUID for s in performed for i in s.ReferencedImageSequence}
    assert lost in listed  # the modality thinks it sent it
    assert pacs.journal.wait_for(lambda: bool(pacs.journal.messages(service="N-ACTION")))
    [store] = [s for s in steps(emulator) if s[0] == "C-STORE"]
    assert store == ("C-STORE", "ok", ["rule-1:omit"])


def test_an_image_sent_twice_is_stored_once(emulator, pacs):
    rule = "{match: {phase: acquisition, service: C-STORE}, scope: request, first: 1,"
    delivery = sent_under(emulator, rule + " action: {duplicate: {times: 2}}}", "ACQ-F7")
    assert (delivery["sent"], delivery["duplicated"]) == (10, 2)
    assert len(pacs.journal.messages(service="C-STORE")) == 12
    assert pacs.index.counts()["instances"] == 10


def test_an_association_aborted_mid_study_leaves_the_rest_unsent_and_no_commitment(emulator, pacs):
    emulator.load_scenario("""
name: aborts-mid-study
rules:
  - {match: {phase: acquisition, service: C-STORE}, scope: request, nth: 4, action: {abort: {}}}
""")
    made = emulator.archive.acquire(ordered(emulator, "ACQ-F8"), send_to="pacs", commit=True)
    delivery = made.delivery
    assert delivery["sent"] == 3
    assert len(delivery["failed"]) == 8  # seven images not sent, and why the association ended
    assert "rule-1:abort ended the association" in delivery["failed"]
    assert delivery["commitment"] == "not asked: the study was not all stored"
    assert pacs.journal.wait_for(lambda: bool(pacs.journal.associations(outcome="aborted")))
    assert pacs.index.counts()["instances"] == 3
    assert [s for s in steps(emulator) if s[0] == "C-STORE"] == [
        ("C-STORE", "fault", ["rule-1:abort"])
    ]


def test_a_connection_cut_mid_image_leaves_nothing_half_written_at_the_pacs(emulator, pacs):
    emulator.load_scenario("""
name: cut-mid-image
rules:
  - match: {phase: acquisition, service: C-STORE}
    scope: request
    nth: 5
    action: {close: {mode: reset, after_bytes: 20000}}
""")
    made = emulator.archive.acquire(ordered(emulator, "ACQ-F9"), send_to="pacs")
    assert made.delivery["sent"] == 4
    assert pacs.journal.wait_for(
        lambda: any(a.outcome != "open" for a in pacs.journal.associations())
    )
    assert pacs.index.counts()["instances"] == 4
    assert not list((pacs.config.storage.data_dir / "tmp").glob("*"))


def test_a_throttled_modality_takes_at_least_its_bytes_over_its_rate(emulator, pacs):
    emulator.load_scenario("""
name: slow-link
rules:
  - match: {phase: acquisition, service: C-STORE}
    scope: request
    first: 1
    action: {throttle: {bytes_per_s: 4000000}}
""")
    item = ordered(emulator, "ACQ-F10")
    started = time.monotonic()
    made = emulator.archive.acquire(item, send_to="pacs")
    took = time.monotonic() - started
    assert made.delivery["sent"] == 10
    performed = the_mpps(emulator).attributes.PerformedSeriesSequence
    uids = [i.ReferencedSOPInstanceUID for s in performed for i in s.ReferencedImageSequence]
    size = sum(
        emulator.files.path(emulator.index.instance(uid).location).stat().st_size for uid in uids
    )
    assert took >= size / 4_000_000 * 0.9  # a lower bound: a slow machine only adds to it


def test_commitment_can_be_left_out(emulator, pacs):
    emulator.load_scenario("""
name: never-asks
rules:
  - {id: no-commit, match: {phase: acquisition, service: N-ACTION}, action: {omit: {}}}
""")
    made = emulator.archive.acquire(ordered(emulator, "ACQ-F11"), send_to="pacs", commit=True)
    assert made.delivery["commitment"] == "not asked: left out (no-commit:omit)"
    assert pacs.index.counts()["instances"] == 10
    assert pacs.journal.messages(service="N-ACTION") == []
    assert ("N-ACTION", "fault", ["no-commit:omit"]) in steps(emulator)


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        (
            "{match: {phase: acquisition}, action: {discontinue: {}}}",
            "discontinue needs step N-SET",
        ),
        (
            "{match: {phase: acquisition, service: ACQUIRE}, action: {abort: {}}}",
            "abort needs step C-STORE or N-ACTION",
        ),
        (
            "{match: {phase: acquisition, service: C-STORE}, action: {status: {code: 0xA700}}}",
            "cannot be done at the acquisition phase",
        ),
        (
            "{match: {phase: acquisition, service: C-FIND}, action: {delay: {ms: 1}}}",
            "C-FIND has no acquisition phase",
        ),
        (
            "{match: {phase: acquisition, query: {PatientID: {equals: X}}}, action: {omit: {}}}",
            "is not known at the acquisition phase",
        ),
        ("{match: {phase: request, service: C-STORE}, action: {omit: {}}}", "cannot be done"),
        (
            "{match: {phase: acquisition, service: N-SET}, action: {discontinue: {reason: '1'}}}",
            "is not one of",
        ),
    ],
)
def test_rules_the_acquisition_cannot_do_are_refused_saying_why(rule, problem):
    from emulator.scenario.loader import parse
    from emulator.scenario.problems import ScenarioError

    with pytest.raises(ScenarioError) as refused:
        parse(f"name: bad\nrules:\n  - {rule}\n", "bad.yaml")
    assert problem in str(refused.value)


def test_a_hung_modality_says_nothing_then_aborts(emulator, pacs):
    rule = "{match: {phase: acquisition, service: C-STORE}, scope: request, nth: 2,"
    delivery = sent_under(emulator, rule + " action: {hang: {ms: 200}}}", "ACQ-F12", True)
    assert delivery["sent"] == 1
    assert delivery["commitment"] == "not asked: the study was not all stored"
    assert pacs.journal.wait_for(lambda: bool(pacs.journal.associations(outcome="aborted")))
    [association] = pacs.journal.associations()
    assert association.ended - association.started >= 0.2  # silent that long, first
