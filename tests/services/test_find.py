"""Q/R C-FIND (PS3.4 C.4.1 and the matching of C.2.2.2) over real associations."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import CTImageStorage

from tests.helpers import associate, find, make_dataset, part10, query, uid

SMITH = ("SMITH^JOHN", "PID001")
SMITHERS = ("Smithers^Waylon", "PID002")
MULLER = ("Müller^Jürgen", "PID003")


def code(value: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, "LN", meaning
    return item


@pytest.fixture
def archive(emulator):
    """Three patients, four studies, CT and MR series: loaded through the store path."""
    instances = [
        # SMITH: study 1 (CT, 2 series: 3 + 2 instances), study 2 (MR, 1 series, 1 instance)
        *[
            make_dataset(
                patient=SMITH,
                study=1,
                series=1,
                instance=i,
                ProcedureCodeSequence=Sequence([code("24627-2", "CT CHEST")]),
            )
            for i in (1, 2, 3)
        ],
        *[
            make_dataset(patient=SMITH, study=1, series=2, instance=i, SeriesTime="103000")
            for i in (1, 2)
        ],
        make_dataset(
            patient=SMITH,
            study=2,
            series=1,
            modality="MR",
            StudyDate="20210620",
            StudyTime="083000",
            StudyDescription="MR KNEE",
        ),
        # SMITHERS: study 3 (CT)
        make_dataset(
            patient=SMITHERS,
            study=3,
            StudyDate="20211231",
            StudyTime="235959",
            AccessionNumber="X-99",
            ReferringPhysicianName="House^Gregory",
        ),
        # MÜLLER: study 4 (MR), ISO_IR 100
        make_dataset(
            patient=MULLER,
            study=4,
            modality="MR",
            SpecificCharacterSet="ISO_IR 100",
            StudyDate="19991231",
            StudyDescription="Kopf",
        ),
    ]
    for ds in instances:
        emulator.archive.import_instance(part10(ds))
    return emulator


def study_uids(results):
    return sorted(r.StudyInstanceUID for r in results)


def test_study_level_wildcard_patient_name_matches_case_insensitively(archive):
    results, final = find(
        archive.dicom_port, query("STUDY", PatientName="smi*", StudyInstanceUID="")
    )
    assert final.Status == 0x0000
    assert study_uids(results) == [uid(1, 1), uid(1, 2), uid(1, 3)]


def test_single_value_matching_is_exact_not_a_prefix(archive):
    results, _ = find(archive.dicom_port, query("STUDY", PatientName="SMITH", StudyInstanceUID=""))
    assert results == []
    results, _ = find(
        archive.dicom_port, query("STUDY", PatientName="smith^john", StudyInstanceUID="")
    )
    assert study_uids(results) == [uid(1, 1), uid(1, 2)]


@pytest.mark.config(query__pn_case_insensitive=False)
def test_pn_matching_can_be_made_case_sensitive(archive):
    results, _ = find(archive.dicom_port, query("STUDY", PatientName="smi*", StudyInstanceUID=""))
    assert results == []
    results, _ = find(archive.dicom_port, query("STUDY", PatientName="SMI*", StudyInstanceUID=""))
    assert study_uids(results) == [uid(1, 1), uid(1, 2)]


def test_question_mark_wildcard_matches_one_character(archive):
    results, _ = find(
        archive.dicom_port, query("STUDY", AccessionNumber="ACC00?", StudyInstanceUID="")
    )
    assert study_uids(results) == [uid(1, 1), uid(1, 2), uid(1, 4)]


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        ("20200115", [(1, 1)]),
        ("20200101-20211231", [(1, 1), (1, 2), (1, 3)]),
        ("20210101-", [(1, 2), (1, 3)]),
        ("-20000101", [(1, 4)]),
    ],
)
def test_study_date_single_value_and_range_matching(archive, dates, expected):
    results, _ = find(archive.dicom_port, query("STUDY", StudyDate=dates, StudyInstanceUID=""))
    assert study_uids(results) == [uid(*e) for e in expected]


def test_time_range_matching_treats_partial_times_as_periods(archive):
    results, _ = find(archive.dicom_port, query("STUDY", StudyTime="08-09", StudyInstanceUID=""))
    assert study_uids(results) == [uid(1, 2)]  # 08:30; "09" runs to 09:59:59
    results, _ = find(
        archive.dicom_port, query("STUDY", StudyTime="0800-1015", StudyInstanceUID="")
    )
    assert study_uids(results) == [uid(1, 1), uid(1, 2), uid(1, 4)]


def test_list_of_uid_matching_returns_each_listed_study(archive):
    results, _ = find(archive.dicom_port, query("STUDY", StudyInstanceUID=[uid(1, 1), uid(1, 3)]))
    assert study_uids(results) == [uid(1, 1), uid(1, 3)]


def test_modalities_in_study_matches_any_listed_modality(archive):
    results, _ = find(
        archive.dicom_port, query("STUDY", ModalitiesInStudy="MR", StudyInstanceUID="")
    )
    assert study_uids(results) == [uid(1, 2), uid(1, 4)]
    results, _ = find(
        archive.dicom_port, query("STUDY", ModalitiesInStudy=["MR", "CT"], StudyInstanceUID="")
    )
    assert len(results) == 4


def test_sequence_matching_on_procedure_code(archive):
    results, _ = find(
        archive.dicom_port,
        query("STUDY", StudyInstanceUID="", ProcedureCodeSequence=Sequence([code("24627-2", "")])),
    )
    assert study_uids(results) == [uid(1, 1)]
    [result] = results
    assert result.ProcedureCodeSequence[0].CodeMeaning == "CT CHEST"


def test_study_response_holds_exactly_the_requested_keys_with_computed_counts(archive):
    identifier = query(
        "STUDY",
        PatientID="PID001",
        StudyInstanceUID=uid(1, 1),
        NumberOfStudyRelatedSeries="",
        NumberOfStudyRelatedInstances="",
        ModalitiesInStudy="",
        SOPClassesInStudy="",
        StudyDescription="",
    )
    [result], final = find(archive.dicom_port, identifier)

    assert final.Status == 0x0000
    assert {e.keyword for e in result} == {
        "QueryRetrieveLevel",
        "RetrieveAETitle",
        "PatientID",
        "StudyInstanceUID",
        "NumberOfStudyRelatedSeries",
        "NumberOfStudyRelatedInstances",
        "ModalitiesInStudy",
        "SOPClassesInStudy",
        "StudyDescription",
    }
    assert result.NumberOfStudyRelatedSeries == 2
    assert result.NumberOfStudyRelatedInstances == 5
    assert result.ModalitiesInStudy == "CT"
    assert result.SOPClassesInStudy == CTImageStorage
    assert result.RetrieveAETitle == "FABRICATOR"


def test_patient_root_patient_level_counts(archive):
    [result], _ = find(
        archive.dicom_port,
        query(
            "PATIENT",
            PatientID="PID001",
            PatientName="",
            NumberOfPatientRelatedStudies="",
            NumberOfPatientRelatedSeries="",
            NumberOfPatientRelatedInstances="",
        ),
        "PATIENT_ROOT",
    )
    assert (
        result.NumberOfPatientRelatedStudies,
        result.NumberOfPatientRelatedSeries,
        result.NumberOfPatientRelatedInstances,
    ) == (2, 3, 6)
    assert result.PatientName == "SMITH^JOHN"


def test_series_level_needs_the_study_key_and_counts_instances(archive):
    results, _ = find(
        archive.dicom_port,
        query(
            "SERIES",
            StudyInstanceUID=uid(1, 1),
            SeriesInstanceUID="",
            Modality="",
            NumberOfSeriesRelatedInstances="",
            SeriesNumber="",
        ),
    )
    assert sorted((r.SeriesNumber, r.NumberOfSeriesRelatedInstances) for r in results) == [
        (1, 3),
        (2, 2),
    ]


def test_image_level_returns_instances_of_the_series(archive):
    results, _ = find(
        archive.dicom_port,
        query(
            "IMAGE",
            StudyInstanceUID=uid(1, 1),
            SeriesInstanceUID=uid(1, 1, 1),
            SOPInstanceUID="",
            InstanceNumber="",
            SOPClassUID="",
        ),
    )
    assert sorted(r.InstanceNumber for r in results) == [1, 2, 3]
    assert {r.SOPClassUID for r in results} == {CTImageStorage}


def test_image_level_instance_number_matching_is_numeric(archive):
    results, _ = find(
        archive.dicom_port,
        query(
            "IMAGE",
            StudyInstanceUID=uid(1, 1),
            SeriesInstanceUID=uid(1, 1, 1),
            SOPInstanceUID="",
            InstanceNumber="02",
        ),
    )
    assert [r.SOPInstanceUID for r in results] == [uid(1, 1, 1, 2)]


def test_patient_root_study_level_requires_patient_id(archive):
    results, final = find(archive.dicom_port, query("STUDY", StudyInstanceUID=""), "PATIENT_ROOT")
    assert results == []
    assert final.Status == 0xA900
    assert "PatientID" in final.ErrorComment


@pytest.mark.parametrize(
    ("identifier", "comment"),
    [
        (query("SERIES", SeriesInstanceUID=""), "StudyInstanceUID"),
        (query("SERIES", StudyInstanceUID="1.2.*", SeriesInstanceUID=""), "StudyInstanceUID"),
        (query("IMAGE", StudyInstanceUID=uid(1, 1), SOPInstanceUID=""), "SeriesInstanceUID"),
        (query("STUDIES", StudyInstanceUID=""), "QueryRetrieveLevel"),
        (query("STUDY", StudyInstanceUID="1.02.3"), "StudyInstanceUID"),
        (query("STUDY", StudyDate="yesterday", StudyInstanceUID=""), "StudyDate"),
    ],
)
def test_bad_identifier_answers_a900_with_an_error_comment(archive, identifier, comment):
    results, final = find(archive.dicom_port, identifier)
    assert results == []
    assert final.Status == 0xA900
    assert comment in final.ErrorComment


def test_missing_query_retrieve_level_answers_a900(archive):
    identifier = Dataset()
    identifier.PatientName = "*"
    _, final = find(archive.dicom_port, identifier)
    assert final.Status == 0xA900
    assert "QueryRetrieveLevel" in final.ErrorComment


def test_patient_study_only_model_refuses_series_level(archive):
    _, final = find(
        archive.dicom_port,
        query("SERIES", StudyInstanceUID=uid(1, 1), PatientID="PID001"),
        "PATIENT_STUDY_ONLY",
    )
    assert final.Status == 0xA900


def test_lower_level_keys_are_returned_empty_by_default(archive):
    results, final = find(
        archive.dicom_port, query("STUDY", StudyInstanceUID=uid(1, 1), Modality="MR")
    )
    assert final.Status == 0x0000
    [result] = results
    assert result.Modality in (None, "")


@pytest.mark.config(query__reject_lower_level_keys=True)
def test_lower_level_keys_can_be_rejected(archive):
    _, final = find(archive.dicom_port, query("STUDY", StudyInstanceUID=uid(1, 1), Modality=""))
    assert final.Status == 0xA900
    assert "Modality" in final.ErrorComment


def test_return_keys_the_index_does_not_hold_come_from_the_stored_header(archive):
    [result], _ = find(
        archive.dicom_port,
        query(
            "IMAGE",
            StudyInstanceUID=uid(1, 1),
            SeriesInstanceUID=uid(1, 1, 1),
            SOPInstanceUID=uid(1, 1, 1, 1),
            PhotometricInterpretation="",
            BitsStored="",
            ImageComments="",
        ),
    )
    assert result.PhotometricInterpretation == "MONOCHROME2"
    assert result.BitsStored == 12
    assert "ImageComments" in result
    assert not result.ImageComments


def test_non_ascii_names_are_answered_in_their_character_set(archive):
    [result], _ = find(
        archive.dicom_port,
        query("STUDY", PatientName="MÜLLER*", StudyInstanceUID="", StudyDescription=""),
    )
    assert result.PatientName == "Müller^Jürgen"
    assert result.SpecificCharacterSet == "ISO_IR 100"


def test_cancel_stops_pending_responses_with_fe00(archive, monkeypatch):
    import time

    from emulator.services import query as query_service

    for i in range(1, 301):
        archive.archive.import_instance(
            part10(make_dataset(study=100 + i, patient=("MANY", f"M{i}")))
        )
    build = query_service.build_response

    def slow_build(*args, **kwargs):  # an archive slow enough for the cancel to land mid-stream
        time.sleep(0.005)
        return build(*args, **kwargs)

    monkeypatch.setattr(query_service, "build_response", slow_build)
    assoc = associate(archive.dicom_port, "1.2.840.10008.5.1.4.1.2.2.1")
    responses = assoc.send_c_find(
        query("STUDY", PatientName="MANY", StudyInstanceUID=""),
        "1.2.840.10008.5.1.4.1.2.2.1",
        msg_id=9,
    )
    statuses = []
    for status, _ in responses:
        statuses.append(status.Status)
        if len(statuses) == 3:
            assoc.send_c_cancel(9, context_id=1)
    assoc.release()

    assert statuses[-1] == 0xFE00
    assert len(statuses) < 300
    [record] = archive.journal.messages(service="C-FIND", outcome="cancelled")
    assert record.status == 0xFE00


def test_find_is_matched_in_sql_with_an_index(archive):
    from storage import Model, parse_find

    request = parse_find(query("STUDY", PatientName="SMI*", StudyInstanceUID=""), Model.STUDY_ROOT)
    plan = " ".join(archive.index.explain(request.query))
    assert "USING INDEX idx_patients_patient_name_fold" in plan


def test_find_journal_records_level_model_and_match_count(archive):
    find(archive.dicom_port, query("STUDY", PatientName="SMI*", StudyInstanceUID=""))
    [record] = archive.journal.messages(service="C-FIND")
    assert (record.matches, record.status) == (3, 0x0000)
    assert (record.extra["model"], record.extra["level"]) == ("STUDY_ROOT", "STUDY")
    assert record.extra["identifier"]["00100010"]["Value"] == [{"Alphabetic": "SMI*"}]


def test_study_attributes_survive_later_instances_that_leave_them_out(archive):
    # instances 4 and 5 of study 1 carry no ProcedureCodeSequence: the study keeps it
    [result], _ = find(
        archive.dicom_port,
        query("STUDY", StudyInstanceUID=uid(1, 1), ProcedureCodeSequence=Sequence()),
    )
    assert result.ProcedureCodeSequence[0].CodeValue == "24627-2"


def test_mr_and_ct_studies_of_one_patient_are_one_patient(archive):
    [patient], _ = find(
        archive.dicom_port,
        query("PATIENT", PatientID="PID001", NumberOfPatientRelatedStudies=""),
        "PATIENT_ROOT",
    )
    assert patient.NumberOfPatientRelatedStudies == 2
    assert archive.index.counts()["patients"] == 3


def test_each_pending_response_is_one_pdu_holding_command_and_identifier(archive):
    """The command set of a pending response is encoded once per request, and each match
    travels as one P-DATA-TF PDU with two PDVs: the command, then the identifier."""
    from pynetdicom import evt
    from pynetdicom.pdu import P_DATA_TF
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind as FIND

    pdus: list[list[int]] = []

    def seen(event):
        if isinstance(event.pdu, P_DATA_TF):
            pdus.append([pdv.data[0] for pdv in event.pdu.presentation_data_value_items])

    assoc = associate(archive.dicom_port, FIND, evt_handlers=[(evt.EVT_PDU_RECV, seen)])
    try:
        responses = list(assoc.send_c_find(query("STUDY", StudyInstanceUID=""), FIND))
    finally:
        assoc.release()
    matches = len(responses) - 1
    assert matches >= 2
    assert pdus == [[0x03, 0x02]] * matches + [[0x03]]  # the final response: a command only


def count_writes(monkeypatch) -> list[int]:
    """The size of each write the emulator's associations make of encoded PDUs."""
    from emulator.dicom.reactor import EventDUL

    writes: list[int] = []
    original = EventDUL.send_raw

    def counting(self, data):
        writes.append(len(data))
        return original(self, data)

    monkeypatch.setattr(EventDUL, "send_raw", counting)
    return writes


def many_studies(archive, n: int) -> None:
    for i in range(1, n + 1):
        archive.archive.import_instance(
            part10(make_dataset(study=100 + i, patient=("MANY", f"M{i}")))
        )


def test_without_a_scenario_pending_responses_are_written_in_batches(archive, monkeypatch):
    many_studies(archive, 200)
    writes = count_writes(monkeypatch)
    results, status = find(
        archive.dicom_port, query("STUDY", PatientName="MANY", StudyInstanceUID="")
    )
    assert (len(results), status.Status) == (200, 0x0000)
    assert len({r.StudyInstanceUID for r in results}) == 200
    assert len(writes) < 20  # 200 Pending responses and the final one


def test_with_a_scenario_each_pending_response_is_written_before_the_next_match(
    archive, monkeypatch
):
    """A scenario's rule acts between two responses (a delay before the 5th, say): the
    responses before it must be on the wire already."""
    many_studies(archive, 20)
    archive.scenario.replace(
        "name: echo-delay\nrules:\n  - id: slow-echo\n"
        "    match: {phase: request, service: C-ECHO}\n    action: {delay: {ms: 1}}\n"
    )
    writes = count_writes(monkeypatch)
    results, _ = find(archive.dicom_port, query("STUDY", PatientName="MANY", StudyInstanceUID=""))
    assert len(results) == 20
    assert len(writes) == 21
