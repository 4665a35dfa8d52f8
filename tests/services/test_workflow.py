"""The IHE Scheduled Workflow loop, as a modality lives it, over real associations:
order (an HL7 ORM over MLLP, or fabricated) -> worklist -> MPPS IN PROGRESS -> C-STORE ->
MPPS COMPLETED -> storage commitment -> C-FIND finds the study."""

from __future__ import annotations

import datetime as dt

import pytest
from pydicom.dataset import Dataset
from pynetdicom import AE, evt

from storage.fabrication_spec import FabricationSpec
from tests.helpers import find, make_dataset, wait_until
from tests.helpers.commitment import COMMITMENT, INSTANCE, request
from tests.helpers.hl7 import mllp, orm
from tests.helpers.mpps import MPPS

CT = "1.2.840.10008.5.1.4.1.1.2"


def place_orders(emulator, source: str) -> None:
    """Two CT orders for station CT01 today: from a RIS over MLLP, or fabricated."""
    if source == "hl7":
        for n in (1, 2):
            message = orm(accession=f"ACC{n}", study=f"1.2.826.0.1.3680043.10.1089.82.{n}")
            [ack] = mllp(emulator.hl7_port, message)
            assert "MSA|AA|" in ack
    else:
        spec = FabricationSpec(seed=8, patients=2, matrix=16, anchor=dt.date(2026, 11, 22))
        emulator.archive.fabricate(spec, worklist=2, stations=("CT01",))


@pytest.mark.parametrize(
    "source", [pytest.param("hl7", marks=pytest.mark.config(hl7__port=0)), "fabricated"]
)
def test_a_modality_runs_the_whole_scheduled_workflow(emulator, source):
    today = dt.date(2026, 11, 22)
    place_orders(emulator, source)

    # 1. the modality asks for its worklist
    query = Dataset()
    query.PatientName = query.PatientID = query.AccessionNumber = query.StudyInstanceUID = ""
    query.RequestedProcedureID = ""
    sps = Dataset()
    sps.ScheduledStationAETitle = "CT01"
    sps.ScheduledProcedureStepStartDate = today.strftime("%Y%m%d")
    sps.ScheduledProcedureStepID = ""
    query.ScheduledProcedureStepSequence = [sps]
    items, final = find(emulator.dicom_port, query, model="MWL")
    assert final.Status == 0x0000
    assert len(items) == 2
    order = items[0]
    step_id = order.ScheduledProcedureStepSequence[0].ScheduledProcedureStepID

    reports = []
    ae = AE(ae_title="CT01")
    for context in (MPPS, CT, COMMITMENT):
        ae.add_requested_context(context)
    assoc = ae.associate(
        "127.0.0.1",
        emulator.dicom_port,
        ae_title=emulator.ae_title,
        evt_handlers=[(evt.EVT_N_EVENT_REPORT, lambda e: reports.append(e) or (0, None))],
    )
    assert assoc.is_established
    try:
        # 2. MPPS IN PROGRESS, for the scheduled step
        pps = Dataset()
        pps.PatientName, pps.PatientID = order.PatientName, order.PatientID
        link = Dataset()
        link.StudyInstanceUID = order.StudyInstanceUID
        link.AccessionNumber = order.AccessionNumber
        link.ScheduledProcedureStepID = step_id
        link.RequestedProcedureID = order.RequestedProcedureID
        pps.ScheduledStepAttributesSequence = [link]
        pps.PerformedProcedureStepID = "PPS-CT01-1"
        pps.PerformedStationAETitle = "CT01"
        pps.PerformedProcedureStepStartDate = "20261122"
        pps.PerformedProcedureStepStartTime = "080500"
        pps.PerformedProcedureStepStatus = "IN PROGRESS"
        pps.Modality = "CT"
        mpps_uid = "1.2.826.0.1.3680043.10.1089.80.1"
        status, _ = assoc.send_n_create(pps, MPPS, mpps_uid)
        assert status.Status == 0x0000
        assert [i.state for i in emulator.archive.worklist.items()].count("IN PROGRESS") == 1

        # 3. the images, in the ordered study
        images = []
        for n in (1, 2, 3):
            ds = make_dataset(patient=(str(order.PatientName), str(order.PatientID)), instance=n)
            ds.StudyInstanceUID = order.StudyInstanceUID
            ds.AccessionNumber = order.AccessionNumber
            ds.SeriesInstanceUID = order.StudyInstanceUID + ".1"
            ds.SOPInstanceUID = order.StudyInstanceUID + f".1.{n}"
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            assert assoc.send_c_store(ds).Status == 0x0000
            images.append(ds)

        # 4. MPPS COMPLETED, listing the series
        done = Dataset()
        done.PerformedProcedureStepStatus = "COMPLETED"
        done.PerformedProcedureStepEndDate = "20261122"
        done.PerformedProcedureStepEndTime = "081500"
        series = Dataset()
        series.SeriesInstanceUID = order.StudyInstanceUID + ".1"
        series.ReferencedImageSequence = []
        for ds in images:
            ref = Dataset()
            ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID = CT, ds.SOPInstanceUID
            series.ReferencedImageSequence.append(ref)
        done.PerformedSeriesSequence = [series]
        status, _ = assoc.send_n_set(done, MPPS, mpps_uid)
        assert status.Status == 0x0000

        # 5. storage commitment of the three images, reported on this association
        refs = [(CT, ds.SOPInstanceUID) for ds in images]
        status, _ = assoc.send_n_action(
            request(*refs, transaction="1.2.826.0.1.3680043.10.1089.80.2"),
            1,
            COMMITMENT,
            INSTANCE,
        )
        assert status.Status == 0x0000
        assert wait_until(lambda: reports, timeout=5)  # the association stays open for it
    finally:
        assoc.release()
    [report] = reports
    assert report.event_type == 1
    assert len(report.event_information.ReferencedSOPSequence) == 3

    # 6. the scheduled step is done: off the worklist; the study is in the archive
    items, _ = find(emulator.dicom_port, query, model="MWL")
    assert order.AccessionNumber not in {str(i.AccessionNumber) for i in items}
    study = Dataset()
    study.QueryRetrieveLevel = "STUDY"
    study.AccessionNumber = order.AccessionNumber
    study.StudyInstanceUID = ""
    study.NumberOfStudyRelatedInstances = ""
    [found], _ = find(emulator.dicom_port, study)
    assert found.StudyInstanceUID == order.StudyInstanceUID
    assert found.NumberOfStudyRelatedInstances == 3
