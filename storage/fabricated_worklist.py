"""Worklist items for fabricated patients: scheduled procedure steps on the specification's
anchor day, for modalities to query and then acquire (PS3.4 Annex K)."""

from __future__ import annotations

from pydicom.dataset import Dataset

from storage.demographics import PHYSICIANS, PROTOCOLS, patient_attributes
from storage.fabrication_spec import FabricationSpec, entity_rng, entity_uid, scanner_modality
from storage.iods import IODS


def _code(value: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, "99FABRICATOR", meaning
    return item


def station_modality(station: str, spec: FabricationSpec, n: int) -> str:
    """The modality a station AE title names by its leading letters (``CT01``: CT), else the
    spec's image modalities in turn (never an object's code)."""
    letters = "".join(c for c in station if c.isalpha()).upper()
    images = spec.image_modalities
    code = letters if letters in IODS else images[n % len(images)]
    return scanner_modality(code)  # an Enhanced CT is scheduled as a CT


def worklist_items(spec: FabricationSpec, count: int, stations: tuple[str, ...]) -> list[Dataset]:
    """*count* worklist items for *spec*'s patients, scheduled on its anchor day (today by
    default) every 15 minutes from 08:00 on *stations* in turn. Each has its own accession
    number and Study Instance UID, for the images and the procedure step to share."""
    items = []
    for n in range(count):
        p = n % spec.patients
        patient = patient_attributes(spec, p)
        station = stations[n % len(stations)]
        modality = station_modality(station, spec, n)
        rng = entity_rng(spec, "worklist", n)
        body_part, description, series = rng.choice(PROTOCOLS[modality])
        minutes = 8 * 60 + 15 * n
        ds = Dataset()
        ds.update(patient)  # type: ignore[arg-type]
        ds.AccessionNumber = f"W{spec.seed}{n:06d}"[-16:]
        ds.ReferringPhysicianName = rng.choice(PHYSICIANS)
        ds.StudyInstanceUID = entity_uid(spec, "worklist-study", p, n)
        ds.RequestedProcedureID = f"RP{n + 1:06d}"
        ds.RequestedProcedureDescription = description
        ds.RequestedProcedureCodeSequence = [_code(f"{modality}{n % 97:03d}", description)]
        ds.RequestedProcedurePriority = "ROUTINE"
        ds.ReferencedStudySequence = []
        ds.AdmissionID = f"ADM{p:05d}"
        step = Dataset()
        step.ScheduledStationAETitle = station
        step.ScheduledStationName = station
        step.Modality = modality
        step.ScheduledProcedureStepStartDate = spec.anchor.strftime("%Y%m%d")
        step.ScheduledProcedureStepStartTime = f"{minutes // 60 % 24:02d}{minutes % 60:02d}00"
        step.ScheduledPerformingPhysicianName = rng.choice(PHYSICIANS)
        step.ScheduledProcedureStepDescription = f"{description} {series[0]}"
        step.ScheduledProtocolCodeSequence = [_code(f"{modality}P{n % 13:02d}", series[0])]
        step.ScheduledProcedureStepID = f"SPS{n + 1:06d}"
        step.ScheduledProcedureStepStatus = "SCHEDULED"
        ds.ScheduledProcedureStepSequence = [step]
        if body_part:
            ds.RequestedProcedureComments = f"body part: {body_part}"
        items.append(ds)
    return items
