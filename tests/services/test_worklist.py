"""Modality Worklist (PS3.4 Annex K) over real associations, pynetdicom as the SCU."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from tests.helpers import find
from tests.helpers.worklist import TODAY, item, mwl, step


@pytest.fixture
def worklist(emulator):
    items = [
        item("SMITH^ANNA", "P1", "A100", step("CT01", "CT", TODAY, "080000")),
        item("JONES^BOB", "P2", "A200", step("CT01", "CT", TODAY, "113000")),
        item(
            "MÜLLER^RENÉ",
            "P3",
            "A300",
            step("MR01", "MR", TODAY, "143000", physician="GREY^MEREDITH"),
        ),
        item("YESTERDAY^OLD", "P4", "A400", step("CT01", "CT", "20261121", "090000")),
        item(
            "TWOSTEP^CARL",
            "P5",
            "A500",
            step("MR01", "MR", "20261123", "090000", ScheduledProcedureStepID="S1"),
            step("CT01", "CT", "20261123", "100000", ScheduledProcedureStepID="S2"),
        ),
    ]
    emulator.archive.add_worklist_items([i.to_json_dict() for i in items])
    return emulator


def accessions(results) -> list[str]:
    return sorted(str(r.AccessionNumber) for r in results)


@pytest.mark.parametrize(
    ("sps", "keys", "expected"),
    [
        ({"ScheduledStationAETitle": "CT01"}, {}, ["A100", "A200", "A400", "A500"]),
        ({"Modality": "MR"}, {}, ["A300", "A500"]),
        ({"ScheduledProcedureStepStartDate": TODAY}, {}, ["A100", "A200", "A300"]),
        (
            {"ScheduledProcedureStepStartDate": "20261122-20261123"},
            {},
            ["A100", "A200", "A300", "A500", "A500"],
        ),
        ({"ScheduledProcedureStepStartDate": "-20261121"}, {}, ["A400"]),
        (
            {
                "ScheduledProcedureStepStartDate": TODAY,
                "ScheduledProcedureStepStartTime": "1000-1500",
            },
            {},
            ["A200", "A300"],
        ),
        ({"ScheduledPerformingPhysicianName": "grey*"}, {}, ["A300"]),
        ({}, {"PatientName": "SMI*"}, ["A100"]),
        ({}, {"PatientID": "P2"}, ["A200"]),
        ({}, {"AccessionNumber": "A4*"}, ["A400"]),
        ({}, {"RequestedProcedureID": "RP-A300"}, ["A300"]),
        ({}, {"StudyInstanceUID": "1.2.826.0.1.3680043.10.1089.77.100"}, ["A100"]),
        (
            {
                "ScheduledStationAETitle": "CT01",
                "Modality": "CT",
                "ScheduledProcedureStepStartDate": "20261123",
            },
            {},
            ["A500"],
        ),
    ],
)
def test_worklist_matches_keys_of_the_item_and_of_its_step(worklist, sps, keys, expected):
    results, final = mwl(worklist, sps, **keys)
    assert final.Status == 0x0000
    assert accessions(results) == expected


def test_each_scheduled_step_is_its_own_response_with_only_that_step(worklist):
    results, _ = mwl(worklist, {}, AccessionNumber="A500")
    steps = sorted(
        (
            str(r.ScheduledProcedureStepSequence[0].ScheduledStationAETitle),
            len(r.ScheduledProcedureStepSequence),
        )
        for r in results
    )
    assert steps == [("CT01", 1), ("MR01", 1)]


def test_return_keys_include_nested_sequences_and_empty_values_for_what_the_item_lacks(worklist):
    identifier = Dataset()
    identifier.AccessionNumber = "A100"
    identifier.PatientName = ""
    identifier.PatientWeight = ""  # the item has none: returned empty
    identifier.RequestedProcedureCodeSequence = []  # no item: the whole sequence
    identifier.ReferencedStudySequence = []
    query_step = Dataset()
    query_step.ScheduledStationAETitle = ""
    query_step.ScheduledProtocolCodeSequence = [Dataset()]
    query_step.ScheduledProtocolCodeSequence[0].CodeValue = ""  # an item: only its keys
    identifier.ScheduledProcedureStepSequence = [query_step]
    [result], final = find(worklist.dicom_port, identifier, model="MWL")
    assert final.Status == 0x0000
    assert result.PatientName == "SMITH^ANNA"
    assert "PatientWeight" in result
    assert result.PatientWeight in (None, "")
    assert result.RequestedProcedureCodeSequence[0].CodeMeaning == "CT Chest"
    assert len(result.ReferencedStudySequence) == 0
    protocol = result.ScheduledProcedureStepSequence[0].ScheduledProtocolCodeSequence[0]
    assert protocol.CodeValue == "P1"
    assert "CodeMeaning" not in protocol  # not asked for
    assert "PatientID" not in result  # not asked for either


def test_names_come_back_in_their_character_set(worklist):
    [result], _ = mwl(worklist, {}, PatientName="MÜLLER*")
    assert str(result.PatientName) == "MÜLLER^RENÉ"
    assert result.SpecificCharacterSet == "ISO_IR 192"


def test_completed_steps_drop_out_of_the_worklist(worklist):
    worklist.archive.worklist.set_state("1.2.826.0.1.3680043.10.1089.77.200", "", "", "COMPLETED")
    results, _ = mwl(worklist, {"ScheduledStationAETitle": "CT01"})
    assert "A200" not in accessions(results)


@pytest.mark.config(worklist__hide_completed=False)
def test_completed_steps_stay_when_configured(worklist):
    worklist.archive.worklist.set_state(
        "1.2.826.0.1.3680043.10.1089.77.200", "", "", "DISCONTINUED"
    )
    results, _ = mwl(worklist, {"ScheduledStationAETitle": "CT01"})
    assert "A200" in accessions(results)


@pytest.mark.parametrize(
    ("keys", "sps", "comment"),
    [
        ({}, {"ScheduledProcedureStepStartDate": "yesterday"}, "ScheduledProcedureStepStartDate"),
        ({"StudyInstanceUID": "1.02.3"}, {}, "StudyInstanceUID"),
    ],
)
def test_a_malformed_matching_key_is_a900_naming_it(worklist, keys, sps, comment):
    results, final = mwl(worklist, sps, **keys)
    assert results == []
    assert final.Status == 0xA900
    assert comment in final.ErrorComment


def test_a_step_sequence_with_two_query_items_is_a900(worklist):
    identifier = Dataset()
    identifier.PatientName = ""
    identifier.ScheduledProcedureStepSequence = [Dataset(), Dataset()]
    identifier.ScheduledProcedureStepSequence[0].Modality = "CT"
    identifier.ScheduledProcedureStepSequence[1].Modality = "MR"
    _, final = find(worklist.dicom_port, identifier, model="MWL")
    assert final.Status == 0xA900


def test_worklist_queries_are_journaled_as_mwl(worklist):
    mwl(worklist, {"Modality": "MR"})
    [record] = worklist.journal.messages(service="MWL")
    assert (record.status, record.matches) == (0x0000, 2)


def test_fabricated_worklist_items_are_for_patients_in_the_archive(emulator):
    import datetime as dt

    from storage.fabrication_spec import FabricationSpec

    spec = FabricationSpec(seed=4, patients=2, matrix=16, anchor=dt.date(2026, 11, 22))
    emulator.archive.fabricate(spec, worklist=5, stations=("CT01", "MR01"))
    results, final = mwl(emulator, {"ScheduledStationAETitle": "CT01"}, StudyInstanceUID="")
    assert final.Status == 0x0000
    assert len(results) == 3  # items 0, 2 and 4 of five, stations in turn
    archive_patients, _ = find(emulator.dicom_port, _patients_query(), model="PATIENT_ROOT")
    known = {str(p.PatientID) for p in archive_patients}
    for result in results:
        step = result.ScheduledProcedureStepSequence[0]
        assert step.Modality == "CT"  # the station's name says so
        assert step.ScheduledProcedureStepStartDate == "20261122"
        assert str(result.PatientID) in known
    # each item has its own accession number and study, not yet in the archive
    assert len({str(r.StudyInstanceUID) for r in results}) == 3
    assert not {str(r.StudyInstanceUID) for r in results} & emulator.index.study_uids()
    # the same seed schedules the same items
    again = [i.to_json_dict() for i in _items(spec)]
    assert again == [i.to_json_dict() for i in _items(spec)]


def _items(spec):
    from storage.fabricated_worklist import worklist_items

    return worklist_items(spec, 5, ("CT01", "MR01"))


def _patients_query() -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "PATIENT"
    ds.PatientID = ""
    return ds
