"""Simulated acquisitions: a worklist item becomes the study it schedules, its images carrying
the order's identifiers as a modality fills them from the worklist."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.helpers import find, query
from tests.helpers.dcmtk_destination import storescp
from tests.helpers.mpps import scheduled

__all__ = ["scheduled", "storescp"]  # fixtures from tests/helpers
from tests.helpers.hl7 import STUDY, mllp, orm


def acquire(emulator, worklist_id: int) -> tuple[int, dict | str]:
    request = urllib.request.Request(
        f"{emulator.admin_url}/api/worklist/{worklist_id}/acquire", data=b"", method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@pytest.mark.config(hl7__port=0)
def test_an_order_over_mllp_becomes_a_study_found_by_its_accession_number(emulator):
    [ack] = mllp(emulator.hl7_port, orm(accession="ACQ-1", pid3="PAT-41^^^HOSP"))
    assert "MSA|AA|" in ack
    [item] = emulator.archive.worklist.items()
    status, made = acquire(emulator, item.pk)
    assert status == 201
    assert made == {
        "worklist_id": item.pk, "study_uid": STUDY, "accession_number": "ACQ-1",
        "modality": "CT", "series": 2, "instances": 10, "delivery": None,
    }  # fmt: skip
    [study], final = find(
        emulator.dicom_port,
        query("STUDY", AccessionNumber="ACQ-1", StudyInstanceUID="", PatientID="",
              PatientName="", NumberOfStudyRelatedInstances="", ModalitiesInStudy=""),
    )  # fmt: skip
    assert final.Status == 0
    assert (study.StudyInstanceUID, study.PatientID) == (STUDY, "PAT-41")
    assert str(study.PatientName) == "DOE^JANE^Q^DR"
    assert (int(study.NumberOfStudyRelatedInstances), study.ModalitiesInStudy) == (10, "CT")


def test_each_image_carries_the_request_attributes_a_modality_fills(emulator):
    assert emulator.receive_hl7(orm(accession="ACQ-2")).ack_code == "AA"
    [item] = emulator.archive.worklist.items()
    emulator.archive.acquire(item.pk)
    series, _ = find(emulator.dicom_port,
                     query("SERIES", StudyInstanceUID=STUDY, SeriesInstanceUID=""))  # fmt: skip
    assert len(series) == 2
    images, _ = find(emulator.dicom_port,
                     query("IMAGE", StudyInstanceUID=STUDY,
                           SeriesInstanceUID=series[0].SeriesInstanceUID,
                           SOPInstanceUID=""))  # fmt: skip
    header = emulator.archive.instance_header(images[0].SOPInstanceUID)
    [request] = header.RequestAttributesSequence
    assert (request.AccessionNumber, request.RequestedProcedureID) == ("ACQ-2", "RPACQ-2")
    assert request.ScheduledProcedureStepID == "SPSACQ-2"
    assert request.StudyInstanceUID == STUDY
    assert header.ReferringPhysicianName == "HOUSE^GREGORY"
    assert header.StationName == "CT01"


def test_the_step_is_completed_and_not_acquired_twice(emulator):
    assert emulator.receive_hl7(orm(accession="ACQ-3")).ack_code == "AA"
    [item] = emulator.archive.worklist.items()
    assert acquire(emulator, item.pk)[0] == 201
    assert emulator.archive.worklist.get(item.pk).state == "COMPLETED"
    status, body = acquire(emulator, item.pk)
    assert status == 409
    assert "is COMPLETED: nothing to acquire" in body["detail"]


def test_an_unknown_item_or_a_modality_the_emulator_cannot_make_is_refused(emulator):
    assert acquire(emulator, 999)[0] == 404
    order = orm(accession="ACQ-4").replace("|CT|||^^^", "|ECG|||^^^")  # OBR-24: the modality
    assert emulator.receive_hl7(order).ack_code == "AA"
    [item] = emulator.archive.worklist.items()
    status, body = acquire(emulator, item.pk)
    assert status == 409
    assert "schedules modality ECG" in body["detail"]
    assert emulator.archive.worklist.get(item.pk).state == "SCHEDULED"  # nothing changed


@pytest.mark.interop
@pytest.mark.config(hl7__port=0, hl7__acquire=True)
def test_with_acquisition_on_an_order_is_a_study_findscu_finds_when_it_is_acknowledged(
    emulator, tmp_path
):
    from pydicom import dcmread

    from tests.helpers import dcmtk

    [ack] = mllp(emulator.hl7_port, orm(accession="ACQ-5", pid3="PAT-55^^^HOSP"))
    assert "MSA|AA|" in ack
    r = dcmtk("findscu", "-S", "-aec", emulator.ae_title, "-X", "-od", str(tmp_path),
              "-k", "QueryRetrieveLevel=STUDY", "-k", "AccessionNumber=ACQ-5",
              "-k", "StudyInstanceUID", "-k", "PatientID", "-k", "NumberOfStudyRelatedInstances",
              "127.0.0.1", str(emulator.dicom_port))  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    [study] = [dcmread(p) for p in tmp_path.glob("rsp*.dcm")]
    assert (study.StudyInstanceUID, study.PatientID) == (STUDY, "PAT-55")
    assert int(study.NumberOfStudyRelatedInstances) == 10
    [item] = emulator.archive.worklist.items()
    assert item.state == "COMPLETED"


@pytest.mark.config(hl7__acquire=True)
def test_an_order_whose_study_cannot_be_made_is_still_scheduled(emulator, caplog):
    order = orm(accession="ACQ-6").replace("|CT|||^^^", "|ECG|||^^^")
    assert emulator.receive_hl7(order).ack_code == "AA"
    [item] = emulator.archive.worklist.items()
    assert item.state == "SCHEDULED"
    assert "accession=ACQ-6 (hl7 api) not acquired: worklist item" in caplog.text


def test_the_modality_s_mpps_goes_in_progress_then_completed_with_the_series_made(emulator):
    assert emulator.receive_hl7(orm(accession="ACQ-7")).ack_code == "AA"
    [item] = emulator.archive.worklist.items()
    emulator.archive.acquire(item.pk)
    with urllib.request.urlopen(f"{emulator.admin_url}/api/mpps", timeout=10) as response:
        steps = json.load(response)
    [step] = steps["steps"]
    assert step["status"] == "COMPLETED"
    assert step["calling_ae"] == "ACQUISITION"
    attributes = step["attributes"]
    scheduled = attributes["00400270"]["Value"][0]  # Scheduled Step Attributes Sequence
    assert scheduled["00080050"]["Value"] == ["ACQ-7"]  # its accession number
    performed = attributes["00400340"]["Value"]  # Performed Series Sequence
    assert len(performed) == 2
    assert all(len(series["00081140"]["Value"]) == 5 for series in performed)  # images


def test_the_study_is_sent_to_the_pacs_under_test_and_commitment_asked_of_it(emulator, tmp_path):
    from emulator import Emulator
    from emulator.remotes import RemoteAE
    from tests.conftest import make_config

    with Emulator(make_config(tmp_path / "pacs")) as pacs:  # a PACS that commits
        emulator.remote_aes.put(RemoteAE("pacs", pacs.ae_title, "127.0.0.1", pacs.dicom_port))
        assert emulator.receive_hl7(orm(accession="ACQ-8")).ack_code == "AA"
        [item] = emulator.archive.worklist.items()
        made = emulator.archive.acquire(item.pk, send_to="pacs", commit=True)
        assert made.delivery is not None
        assert (made.delivery["sent"], made.delivery["failed"]) == (10, [])
        assert made.delivery["commitment"].startswith("requested: transaction 2.25.")
        assert pacs.index.counts()["instances"] == 10
        assert pacs.journal.wait_for(
            lambda: any(m.service == "N-ACTION" for m in pacs.journal.messages())
        )


def test_a_study_for_an_unknown_destination_is_not_even_made(emulator):
    assert emulator.receive_hl7(orm(accession="ACQ-9")).ack_code == "AA"
    [item] = emulator.archive.worklist.items()
    request = urllib.request.Request(
        f"{emulator.admin_url}/api/worklist/{item.pk}/acquire",
        data=json.dumps({"send_to": "nowhere"}).encode(),
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 409
    assert "no remote AE 'nowhere'" in json.load(refused.value)["detail"]
    assert emulator.archive.worklist.get(item.pk).state == "SCHEDULED"
    assert emulator.index.counts()["instances"] == 0


@pytest.mark.interop
def test_dcmtk_storescp_as_the_pacs_receives_the_study_and_refuses_commitment(emulator, storescp):
    from pydicom import dcmread

    from emulator.remotes import RemoteAE

    port, out = storescp
    emulator.remote_aes.put(RemoteAE("dest", "DEST", "127.0.0.1", port))
    assert emulator.receive_hl7(orm(accession="ACQ-10")).ack_code == "AA"
    [item] = emulator.archive.worklist.items()
    made = emulator.archive.acquire(item.pk, send_to="dest", commit=True)
    assert made.delivery["sent"] == 10
    assert made.delivery["commitment"] == "refused: DEST did not accept Storage Commitment"
    files = sorted(out.iterdir())
    assert len(files) == 10
    assert {dcmread(f).AccessionNumber for f in files} == {"ACQ-10"}
    # the MPPS, the store and the commitment in the journal, as the admin API serves it
    url = f"{emulator.admin_url}/api/journal?kind=message&calling_ae=ACQUISITION"
    with urllib.request.urlopen(url, timeout=10) as response:
        records = json.load(response)["entries"]
    steps = [(r["service"], r["outcome"], r["matches"]) for r in records]
    assert steps == [
        ("ACQUIRE", "ok", 10),
        ("N-CREATE", "ok", None),
        ("N-SET", "ok", None),
        ("C-STORE", "ok", 10),
        ("N-ACTION", "failure", None),
    ]  # by id: the acquisition's record opens first, and ends when its images are in
    assert "to DEST@127.0.0.1" in records[3]["detail"]
    assert "did not accept Storage Commitment" in records[4]["detail"]


def _mpps_completes_the_step(emulator) -> None:
    from pynetdicom import AE

    from tests.helpers.mpps import MPPS, completed, create, in_progress, set_

    ae = AE(ae_title="CT01")
    ae.add_requested_context(MPPS)
    assoc = ae.associate("127.0.0.1", emulator.dicom_port, ae_title=emulator.ae_title)
    assert assoc.is_established
    try:
        assert create(assoc, in_progress())[0].Status == 0
        assert set_(assoc, completed())[0].Status == 0
    finally:
        assoc.release()


@pytest.mark.config(worklist__acquire_on_mpps=True)
def test_a_modality_s_mpps_completed_without_images_brings_them(scheduled):
    from tests.helpers.mpps import STUDY as MPPS_STUDY

    _mpps_completes_the_step(scheduled)
    [study], final = find(
        scheduled.dicom_port,
        query("STUDY", StudyInstanceUID=MPPS_STUDY, AccessionNumber="",
              NumberOfStudyRelatedInstances=""),
    )  # fmt: skip
    assert final.Status == 0
    assert (study.AccessionNumber, int(study.NumberOfStudyRelatedInstances)) == ("A100", 10)
    [(_, step)] = scheduled.archive.procedure_steps.steps()
    assert step.calling_ae == "CT01"  # the modality's MPPS only: none of the emulator's


def test_without_the_setting_an_mpps_brings_no_images(scheduled):
    _mpps_completes_the_step(scheduled)
    assert scheduled.index.counts()["instances"] == 0


@pytest.mark.config(hl7__acquire=True, hl7__acquire_delay=0.3)
def test_with_a_delay_the_ack_comes_first_and_the_study_after(emulator):
    from tests.helpers import wait_until

    assert emulator.receive_hl7(orm(accession="ACQ-11")).ack_code == "AA"
    assert emulator.index.counts()["instances"] == 0  # acknowledged before it is made
    assert wait_until(lambda: emulator.index.counts()["instances"] == 10, timeout=20)
    [item] = emulator.archive.worklist.items()
    assert wait_until(lambda: emulator.archive.worklist.get(item.pk).state == "COMPLETED")


@pytest.mark.config(hl7__acquire=True, hl7__acquire_delay=600)
def test_a_reset_cancels_an_acquisition_still_waiting(emulator, caplog):
    import logging

    from tests.helpers import wait_until

    caplog.set_level(logging.INFO, logger="emulator.services.acquisition")
    assert emulator.receive_hl7(orm(accession="ACQ-12")).ack_code == "AA"
    emulator.reset()
    assert wait_until(lambda: "accession=ACQ-12 (hl7 api) cancelled" in caplog.text)
    assert emulator.index.counts()["instances"] == 0


@pytest.mark.config(hl7__acquire=True)
def test_with_acquisition_on_a_worklist_item_added_by_the_api_is_acquired_too(emulator):
    from tests.helpers.worklist import WORKLIST_ITEM

    request = urllib.request.Request(
        f"{emulator.admin_url}/api/worklist",
        data=json.dumps(WORKLIST_ITEM).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        [pk] = json.load(response)["ids"]
    assert emulator.archive.worklist.get(pk).state == "COMPLETED"
    [study], _ = find(emulator.dicom_port,
                      query("STUDY", AccessionNumber="A100", PatientID="", StudyInstanceUID="",
                            NumberOfStudyRelatedInstances=""))  # fmt: skip
    assert (study.PatientID, int(study.NumberOfStudyRelatedInstances)) == ("P1", 10)
