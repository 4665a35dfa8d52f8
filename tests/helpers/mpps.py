"""Modality Performed Procedure Steps as the MPPS, fault and workflow specs build them: a
scheduled worklist item and the N-CREATE / N-SET attribute lists."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from tests.helpers.worklist import TODAY, item, step

MPPS = "1.2.840.10008.3.1.2.3.3"


STUDY = "1.2.826.0.1.3680043.10.1089.77.100"


@pytest.fixture
def scheduled(emulator):
    """One worklist item: SMITH^ANNA, A100, on CT01 today, step SPS1."""
    emulator.archive.add_worklist_items(
        [
            item(
                "SMITH^ANNA",
                "P1",
                "A100",
                step("CT01", "CT", TODAY, "080000", ScheduledProcedureStepID="SPS1"),
            ).to_json_dict()
        ]
    )
    return emulator


def in_progress(**changes) -> Dataset:
    """An N-CREATE attribute list for the scheduled step (PS3.4 Table F.7.2-1)."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.PatientName, ds.PatientID = "SMITH^ANNA", "P1"
    scheduled = Dataset()
    scheduled.StudyInstanceUID = STUDY
    scheduled.AccessionNumber = "A100"
    scheduled.ScheduledProcedureStepID = "SPS1"
    scheduled.RequestedProcedureID = "RP-A100"
    ds.ScheduledStepAttributesSequence = [scheduled]
    ds.PerformedProcedureStepID = "PPS1"
    ds.PerformedStationAETitle = "CT01"
    ds.PerformedProcedureStepStartDate = TODAY
    ds.PerformedProcedureStepStartTime = "081500"
    ds.PerformedProcedureStepStatus = "IN PROGRESS"
    ds.Modality = "CT"
    ds.PerformedSeriesSequence = []
    for key, value in changes.items():
        setattr(ds, key, value)
    return ds


def completed(status: str = "COMPLETED", series: bool = True) -> Dataset:
    ds = Dataset()
    ds.PerformedProcedureStepStatus = status
    ds.PerformedProcedureStepEndDate = TODAY
    ds.PerformedProcedureStepEndTime = "083000"
    item = Dataset()
    item.SeriesInstanceUID = STUDY + ".1"
    item.RetrieveAETitle = "FABRICATOR"
    item.ReferencedImageSequence = []
    ds.PerformedSeriesSequence = [item] if series else []
    return ds


def create(assoc, attributes, uid="1.2.826.0.1.3680043.10.1089.78.1"):
    return assoc.send_n_create(attributes, MPPS, uid)


def set_(assoc, modifications, uid="1.2.826.0.1.3680043.10.1089.78.1"):
    return assoc.send_n_set(modifications, MPPS, uid)
