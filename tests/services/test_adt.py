"""HL7 ADT patient changes: the archive's queries answer with the new demographics and
identifiers at once, the worklist follows, and what cannot be applied gets AE with an ERR
segment and changes nothing."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from tests.helpers import find, make_dataset, part10, query
from tests.helpers.hl7 import adt, mllp, orm


def store(emulator, patient: tuple[str, str], study: int) -> None:
    ds = make_dataset(patient=patient, study=study)
    emulator.archive.import_instance(part10(ds))


def studies(emulator, **keys: str) -> list[Dataset]:
    found, final = find(
        emulator.dicom_port,
        query("STUDY", PatientID=keys.get("PatientID", ""),
              PatientName=keys.get("PatientName", ""), PatientBirthDate="", PatientSex="",
              StudyInstanceUID=""),
    )  # fmt: skip
    assert final.Status == 0
    return found


def ack_code(emulator, message: str) -> tuple[str, str]:
    result = emulator.receive_hl7(message)
    return result.ack_code, result.ack


def test_a08_corrects_the_name_birth_date_and_sex_that_queries_answer(emulator):
    store(emulator, ("MISPELED^ANNA", "P-100"), 1)
    code, _ = ack_code(emulator, adt("A08", "P-100", "MISSPELLED^ANNA", "19810203", "F"))
    assert code == "AA"
    [found] = studies(emulator, PatientName="MISSPELLED^ANNA")
    assert (found.PatientID, found.PatientBirthDate, found.PatientSex) == ("P-100", "19810203", "F")
    assert studies(emulator, PatientName="MISPELED*") == []


def test_a08_in_another_script_is_answered_in_utf8(emulator):
    store(emulator, ("IVANOVA^ANNA", "P-101"), 1)
    assert ack_code(emulator, adt("A31", "P-101", "Иванова^Анна"))[0] == "AA"
    [found] = studies(emulator, PatientID="P-101")
    assert str(found.PatientName) == "Иванова^Анна"
    assert found.SpecificCharacterSet == "ISO_IR 192"


def test_a40_merges_every_study_into_the_surviving_patient(emulator):
    store(emulator, ("DOE^JOHN", "OLD-1"), 1)
    store(emulator, ("DOE^JOHN", "OLD-1"), 2)
    store(emulator, ("DOE^JOHNNY", "NEW-1"), 3)
    code, _ = ack_code(emulator, adt("A40", "NEW-1", "DOE^JOHN^A", mrg1="OLD-1"))
    assert code == "AA"
    assert studies(emulator, PatientID="OLD-1") == []
    merged = studies(emulator, PatientID="NEW-1")
    assert len(merged) == 3
    assert {str(s.PatientName) for s in merged} == {"DOE^JOHN^A"}
    found, _ = find(emulator.dicom_port, query("PATIENT", PatientID="", PatientName=""),
                    model="PATIENT_ROOT")  # fmt: skip
    assert [f.PatientID for f in found] == ["NEW-1"]


@pytest.mark.parametrize("event", ["A34", "A35", "A18"])
def test_the_older_merge_events_merge_as_a40(emulator, event):
    store(emulator, ("ROE^RICK", "OLD-2"), 1)
    store(emulator, ("ROE^RICK", "NEW-2"), 2)
    assert ack_code(emulator, adt(event, "NEW-2", mrg1="OLD-2"))[0] == "AA"
    assert studies(emulator, PatientID="OLD-2") == []
    assert len(studies(emulator, PatientID="NEW-2")) == 2


def test_a47_gives_the_patient_a_new_id_and_refuses_one_taken(emulator):
    store(emulator, ("POE^EDGAR", "TEMP-9"), 1)
    store(emulator, ("LEE^ANNABEL", "MRN-7"), 2)
    assert ack_code(emulator, adt("A47", "MRN-9", mrg1="TEMP-9"))[0] == "AA"
    assert studies(emulator, PatientID="TEMP-9") == []
    [moved] = studies(emulator, PatientID="MRN-9")
    assert str(moved.PatientName) == "POE^EDGAR"
    code, ack = ack_code(emulator, adt("A47", "MRN-7", mrg1="MRN-9"))
    assert code == "AE"
    assert "205^Duplicate key identifier" in ack
    assert "ADT/A40" in ack  # the reason, its ^ escaped
    assert len(studies(emulator, PatientID="MRN-9")) == 1


def test_the_worklist_follows_a_merge_and_a_correction(emulator):
    assert emulator.receive_hl7(orm(pid3="OLD-3")).ack_code == "AA"
    assert ack_code(emulator, adt("A40", "NEW-3", "DOE^JANE^Q", mrg1="OLD-3"))[0] == "AA"
    [item] = emulator.archive.worklist.items()
    assert (item.item.PatientID, str(item.item.PatientName)) == ("NEW-3", "DOE^JANE^Q")
    identifier = Dataset()
    identifier.PatientID, identifier.PatientName = "NEW-3", ""
    found, final = find(emulator.dicom_port, identifier, model="MWL")
    assert final.Status == 0
    assert [str(f.PatientName) for f in found] == ["DOE^JANE^Q"]


@pytest.mark.parametrize(
    ("message", "where", "error"),
    [
        (adt("A08", "NOBODY", "X^Y"), "PID^1^3", "204^Unknown key identifier"),
        (adt("A40", "SAME-1", mrg1="SAME-1"), "MRG^1^1", "205^Duplicate key identifier"),
        (adt("A40", "NEW-4", mrg1="NOBODY"), "MRG^1^1", "204^Unknown key identifier"),
        (adt("A40", "NEW-4"), "MRG", "101^Required field missing"),
        (adt("A08", ""), "PID^1^3", "101^Required field missing"),
        (adt("A08", "SAME-1"), "PID^1^5", "101^Required field missing"),
        (adt("A08", "SAME-1", birth="1981-02-03"), "PID^1^7", "102^Data type error"),
    ],
)
def test_bad_adt_messages_get_ae_with_where_and_why_and_change_nothing(
    emulator, message, where, error
):
    store(emulator, ("KEEP^ME", "SAME-1"), 1)
    code, ack = ack_code(emulator, message)
    assert code == "AE"
    [err] = [s for s in ack.split("\r") if s.startswith("ERR|")]
    assert err.split("|")[2] == where
    assert error in err
    [kept] = studies(emulator, PatientID="SAME-1")
    assert str(kept.PatientName) == "KEEP^ME"


def test_an_unknown_adt_event_is_rejected(emulator):
    code, ack = ack_code(emulator, adt("A01", "P-1", "NEW^PATIENT"))
    assert code == "AR"
    assert "201^Unsupported event code" in ack


@pytest.mark.config(hl7__port=0)
def test_adt_over_mllp_is_acknowledged_on_the_connection(emulator):
    store(emulator, ("OVER^WIRE", "W-1"), 1)
    [ack] = mllp(emulator.hl7_port, adt("A08", "W-1", "OVER^THE^WIRE"))
    assert "MSA|AA|ADTA08W-1" in ack
    [found] = studies(emulator, PatientID="W-1")
    assert str(found.PatientName) == "OVER^THE^WIRE"


@pytest.mark.interop
@pytest.mark.config(hl7__port=0)
def test_dcmtk_findscu_sees_a_merge_sent_over_mllp(emulator, tmp_path):
    from pydicom import dcmread

    from tests.helpers import dcmtk

    store(emulator, ("MERGE^ME", "OLD-5"), 1)
    store(emulator, ("MERGE^ME", "OLD-5"), 2)
    store(emulator, ("KEEP^ME", "NEW-5"), 3)
    [ack] = mllp(emulator.hl7_port, adt("A40", "NEW-5", mrg1="OLD-5"))
    assert "MSA|AA|" in ack

    def findscu(patient_id: str) -> list[Dataset]:
        out = tmp_path / patient_id
        out.mkdir()
        r = dcmtk("findscu", "-S", "-aec", emulator.ae_title, "-X", "-od", str(out),
                  "-k", "QueryRetrieveLevel=STUDY", "-k", f"PatientID={patient_id}",
                  "-k", "StudyInstanceUID", "127.0.0.1", str(emulator.dicom_port))  # fmt: skip
        assert r.returncode == 0, r.stdout + r.stderr
        return [dcmread(p) for p in sorted(out.glob("rsp*.dcm"))]

    assert findscu("OLD-5") == []
    assert len(findscu("NEW-5")) == 3


def _moved_name(emulator) -> str:
    from tests.helpers import registered_scp
    from tests.helpers.retrieve import move

    with registered_scp(emulator) as destination:
        [study] = studies(emulator, PatientID="P-300")
        _, final = move(emulator, query("STUDY", StudyInstanceUID=study.StudyInstanceUID))
        assert final.Status == 0
        [sent] = destination.datasets.values()
        return str(sent.PatientName)


def test_a_retrieve_sends_the_stored_bytes_after_a_change_by_default(emulator):
    store(emulator, ("OLDNAME^PAT", "P-300"), 1)
    assert ack_code(emulator, adt("A08", "P-300", "NEWNAME^PAT"))[0] == "AA"
    assert _moved_name(emulator) == "OLDNAME^PAT"  # as stored, as a PACS keeps it


@pytest.mark.config(retrieve__coerce_patient=True)
def test_with_coercion_a_retrieve_sends_the_patient_as_changed(emulator):
    import urllib.request
    from io import BytesIO

    from pydicom import dcmread

    store(emulator, ("OLDNAME^PAT", "P-300"), 1)
    assert ack_code(emulator, adt("A31", "P-300", "Новиков^Пётр", "19700301"))[0] == "AA"
    assert _moved_name(emulator) == "Новиков^Пётр"
    [study] = studies(emulator, PatientID="P-300")
    request = urllib.request.Request(
        f"{emulator.admin_url}/dicom-web/studies/{study.StudyInstanceUID}",
        headers={"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'},
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        body = response.read()
    sent = dcmread(BytesIO(body[body.index(b"DICM") - 128 :]))
    assert (str(sent.PatientName), sent.PatientBirthDate) == ("Новиков^Пётр", "19700301")
    assert sent.SpecificCharacterSet == "ISO_IR 192"  # Latin-1 cannot hold it


def test_a_merge_of_one_patient_named_with_and_without_its_issuer_is_refused(emulator):
    ds = make_dataset(patient=("ONE^PATIENT", "ISS-1"), IssuerOfPatientID="HOSP")
    emulator.archive.import_instance(part10(ds))
    code, ack = ack_code(emulator, adt("A40", "ISS-1^^^HOSP", mrg1="ISS-1"))
    assert code == "AE"  # MRG-1 without its issuer names the very patient PID-3 does
    assert "205^Duplicate key identifier" in ack
    assert len(studies(emulator, PatientID="ISS-1")) == 1  # nothing moved, nothing orphaned


def test_qido_rs_answers_with_the_merge_and_the_correction(emulator):
    from dicomweb_client.api import DICOMwebClient

    store(emulator, ("ROE^RICHARD", "QIDO-OLD"), 1)
    store(emulator, ("ROE^RICHARD", "QIDO-NEW"), 2)
    assert ack_code(emulator, adt("A40", "QIDO-NEW", "ROE^RICHARD", mrg1="QIDO-OLD"))[0] == "AA"
    assert ack_code(emulator, adt("A08", "QIDO-NEW", "ROE^RICHARD^J", "19700101", "M"))[0] == "AA"
    client = DICOMwebClient(f"{emulator.admin_url}/dicom-web")
    assert client.search_for_studies(search_filters={"PatientID": "QIDO-OLD"}) == []
    merged = client.search_for_studies(search_filters={"PatientID": "QIDO-NEW"})
    assert len(merged) == 2
    names = {study["00100010"]["Value"][0]["Alphabetic"] for study in merged}
    assert names == {"ROE^RICHARD^J"}
    assert len(client.search_for_studies(search_filters={"PatientName": "ROE^RICHARD^J"})) == 2
