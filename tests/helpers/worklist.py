"""Worklist items and MWL queries, as the worklist, MPPS and workflow specs build them."""

from __future__ import annotations

from pydicom.dataset import Dataset

from tests.helpers import find

TODAY = "20261122"


def code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def step(station: str, modality: str, date: str, time: str, **keys: str) -> Dataset:
    sps = Dataset()
    sps.ScheduledStationAETitle = station
    sps.Modality = modality
    sps.ScheduledProcedureStepStartDate = date
    sps.ScheduledProcedureStepStartTime = time
    sps.ScheduledPerformingPhysicianName = keys.pop("physician", "HOUSE^GREGORY")
    sps.ScheduledProcedureStepDescription = keys.pop("description", f"{modality} PROTOCOL")
    sps.ScheduledProtocolCodeSequence = [code("P1", "99LOCAL", f"{modality} protocol")]
    for key, value in keys.items():
        setattr(sps, key, value)
    return sps


def item(patient: str, pid: str, accession: str, *steps: Dataset, **keys: str) -> Dataset:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName, ds.PatientID = patient, pid
    ds.PatientBirthDate, ds.PatientSex = "19700101", "F"
    ds.AccessionNumber = accession
    ds.RequestedProcedureID = f"RP-{accession}"
    ds.RequestedProcedureDescription = "REQUESTED"
    ds.RequestedProcedureCodeSequence = [code("24627-2", "LN", "CT Chest")]
    ds.StudyInstanceUID = f"1.2.826.0.1.3680043.10.1089.77.{accession[1:]}"
    ds.ReferencedStudySequence = []
    ds.ScheduledProcedureStepSequence = list(steps)
    for key, value in keys.items():
        setattr(ds, key, value)
    return ds


def mwl(emulator, sps: dict[str, str] | None = None, **keys):
    """A worklist query: *keys* at the top, *sps* inside the step sequence; returns
    (responses, final status)."""
    identifier = Dataset()
    identifier.PatientName = ""
    identifier.PatientID = ""
    identifier.AccessionNumber = ""
    for key, value in keys.items():
        setattr(identifier, key, value)
    query_step = Dataset()
    query_step.ScheduledStationAETitle = ""
    query_step.Modality = ""
    query_step.ScheduledProcedureStepStartDate = ""
    query_step.ScheduledProcedureStepStartTime = ""
    for key, value in (sps or {}).items():
        setattr(query_step, key, value)
    identifier.ScheduledProcedureStepSequence = [query_step]
    return find(emulator.dicom_port, identifier, model="MWL")


WORKLIST_ITEM = {
    "00100010": {"vr": "PN", "Value": [{"Alphabetic": "SMITH^ANNA"}]},
    "00100020": {"vr": "LO", "Value": ["P1"]},
    "00080050": {"vr": "SH", "Value": ["A100"]},
    "00400100": {
        "vr": "SQ",
        "Value": [
            {
                "00400001": {"vr": "AE", "Value": ["CT01"]},
                "00080060": {"vr": "CS", "Value": ["CT"]},
                "00400002": {"vr": "DA", "Value": ["20261122"]},
            }
        ],
    },
}
