"""Retrieve identifiers (PS3.4 C.4.2.2.1) resolved to the instances they name."""

from __future__ import annotations

import pytest

from storage import (
    Index,
    InvalidIdentifier,
    Model,
    parse_retrieve,
    read_header,
    record_from_dataset,
)
from tests.helpers import make_dataset, part10, query, uid


@pytest.fixture
def index(tmp_path):
    index = Index.open(tmp_path / "i.sqlite")
    layout = {("SMITH", "P1"): {1: {1: 3, 2: 2}, 2: {1: 1}}, ("JONES", "P2"): {3: {1: 4}}}
    for patient, studies in layout.items():
        for study, series in studies.items():
            for se, count in series.items():
                for i in range(1, count + 1):
                    ds = make_dataset(patient=patient, study=study, series=se, instance=i)
                    record = record_from_dataset(read_header(part10(ds)), "1.2.840.10008.1.2.1")
                    index.add_instance(record, f"objects/{study}.{se}.{i}.dcm", 100)
    yield index
    index.close()


def sop_uids(index, request):
    return sorted(row["sop_instance_uid"] for row in index.iter_rows(request.query))


@pytest.mark.parametrize(
    ("model", "identifier", "expected"),
    [
        ("PATIENT_ROOT", query("PATIENT", PatientID="P1"), 6),
        ("PATIENT_ROOT", query("PATIENT", PatientID=["P1", "P2"]), 10),
        ("PATIENT_ROOT", query("STUDY", PatientID="P2", StudyInstanceUID=uid(1, 3)), 4),
        ("STUDY_ROOT", query("STUDY", StudyInstanceUID=[uid(1, 1), uid(1, 2)]), 6),
        (
            "STUDY_ROOT",
            query("SERIES", StudyInstanceUID=uid(1, 1), SeriesInstanceUID=uid(1, 1, 2)),
            2,
        ),
        (
            "STUDY_ROOT",
            query(
                "IMAGE",
                StudyInstanceUID=uid(1, 1),
                SeriesInstanceUID=uid(1, 1, 1),
                SOPInstanceUID=[uid(1, 1, 1, 1), uid(1, 1, 1, 3)],
            ),
            2,
        ),
        ("PATIENT_STUDY_ONLY", query("STUDY", PatientID="P1", StudyInstanceUID=uid(1, 2)), 1),
        ("STUDY_ROOT", query("STUDY", StudyInstanceUID=uid(9, 9)), 0),
    ],
)
def test_retrieve_at_every_level_names_the_right_instances(index, model, identifier, expected):
    request = parse_retrieve(identifier, Model[model])

    assert index.count(request.query) == expected
    assert len(sop_uids(index, request)) == expected


def test_patient_id_in_a_study_root_identifier_does_not_change_what_is_retrieved(index):
    request = parse_retrieve(
        query("STUDY", StudyInstanceUID=uid(1, 3), PatientName="X*"), Model.STUDY_ROOT
    )
    assert index.count(request.query) == 4


@pytest.mark.parametrize(
    ("model", "identifier", "message"),
    [
        ("STUDY_ROOT", query("STUDY"), "StudyInstanceUID"),
        ("STUDY_ROOT", query("STUDY", StudyInstanceUID=""), "StudyInstanceUID"),
        ("STUDY_ROOT", query("SERIES", SeriesInstanceUID=uid(1, 1, 1)), "StudyInstanceUID"),
        ("PATIENT_ROOT", query("PATIENT", PatientID="P*"), "PatientID"),
        ("PATIENT_ROOT", query("STUDY", StudyInstanceUID=uid(1, 1)), "PatientID"),
        ("STUDY_ROOT", query("STUDY", StudyInstanceUID="1.02"), "StudyInstanceUID"),
        ("STUDY_ROOT", query("PATIENT", PatientID="P1"), "QueryRetrieveLevel"),
    ],
)
def test_retrieve_identifiers_without_their_unique_keys_are_refused(model, identifier, message):
    with pytest.raises(InvalidIdentifier, match=message):
        parse_retrieve(identifier, Model[model])
