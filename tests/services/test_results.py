"""Reports back over HL7 (ORU^R01): a Basic Text SR attached to the order's study."""

from __future__ import annotations

import pytest

from tests.helpers import dciodvfy_problems, find, make_dataset, part10, query
from tests.helpers.hl7 import oru


@pytest.fixture
def studied(emulator):
    ds = make_dataset(patient=("DOE^JANE", "PAT-77"), AccessionNumber="REP-1")
    emulator.archive.import_instance(part10(ds))
    return emulator, ds


def report_of(emulator, study_uid: str):
    series, final = find(
        emulator.dicom_port,
        query("SERIES", StudyInstanceUID=study_uid, Modality="SR", SeriesInstanceUID=""),
    )
    assert final.Status == 0
    [one] = series
    images, _ = find(
        emulator.dicom_port,
        query("IMAGE", StudyInstanceUID=study_uid, SeriesInstanceUID=one.SeriesInstanceUID,
              SOPInstanceUID="", SOPClassUID=""),
    )  # fmt: skip
    [image] = images
    assert image.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.11"  # Basic Text SR
    return emulator.archive.instance_header(image.SOPInstanceUID)


def test_a_final_report_becomes_a_verified_basic_text_sr_of_the_study(studied, tmp_path):
    emulator, ds = studied
    lines = ["No focal consolidation.", "Impression: normal chest CT."]
    result = emulator.receive_hl7(oru("REP-1", lines))
    assert result.ack_code == "AA"
    report = report_of(emulator, ds.StudyInstanceUID)
    assert (report.PatientID, report.AccessionNumber) == ("PAT-77", "REP-1")
    assert (report.CompletionFlag, report.VerificationFlag) == ("COMPLETE", "VERIFIED")
    assert str(report.VerifyingObserverSequence[0].VerifyingObserverName) == "HOUSE^GREGORY"
    findings = report.ContentSequence[-1]
    assert [item.TextValue for item in findings.ContentSequence] == lines
    report.save_as(tmp_path / "sr.dcm", enforce_file_format=True)
    assert dciodvfy_problems(tmp_path / "sr.dcm") == []


def test_a_preliminary_report_is_partial_and_unverified(studied):
    emulator, ds = studied
    assert emulator.receive_hl7(oru("REP-1", ["Preliminary read."], status="P")).ack_code == "AA"
    report = report_of(emulator, ds.StudyInstanceUID)
    assert (report.CompletionFlag, report.VerificationFlag) == ("PARTIAL", "UNVERIFIED")


def test_a_report_of_no_known_study_or_without_text_is_refused(studied):
    emulator, _ = studied
    result = emulator.receive_hl7(oru("NO-SUCH", ["Text."]))
    assert result.ack_code == "AE"
    assert "204^Unknown key identifier" in result.ack
    result = emulator.receive_hl7(oru("REP-1", []))
    assert result.ack_code == "AE"
    assert "OBX^1^5" in result.ack


@pytest.mark.interop
def test_dcmtk_reads_the_attached_report(studied, tmp_path):
    from tests.helpers import dcmtk

    emulator, ds = studied
    assert emulator.receive_hl7(oru("REP-1", ["Normal study."])).ack_code == "AA"
    report_of(emulator, ds.StudyInstanceUID).save_as(tmp_path / "sr.dcm",
                                                     enforce_file_format=True)  # fmt: skip
    r = dcmtk("dsrdump", str(tmp_path / "sr.dcm"))
    assert r.returncode == 0, r.stderr
    assert "Normal study." in r.stdout
    assert "Diagnostic imaging report" in r.stdout
