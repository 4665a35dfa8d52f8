"""The one declared table of the attributes the index holds and C-FIND matches on.

Every other piece (schema columns, record extraction, SQL matching, response building and the
README's list of matching keys) is driven from :data:`ATTRIBUTES`.

Levels follow PS3.4 C.6.1.1 (Patient Root) and C.6.2.1 (Study Root): in the Study Root model the
patient attributes are part of the STUDY level.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal


class Level(enum.IntEnum):
    """Query/Retrieve levels, ordered from the top of the hierarchy down."""

    PATIENT = 0
    STUDY = 1
    SERIES = 2
    IMAGE = 3


class Model(enum.Enum):
    """Query/Retrieve information models (PS3.4 C.6)."""

    PATIENT_ROOT = "PATIENT_ROOT"
    STUDY_ROOT = "STUDY_ROOT"
    PATIENT_STUDY_ONLY = "PATIENT_STUDY_ONLY"

    @property
    def levels(self) -> tuple[Level, ...]:
        if self is Model.STUDY_ROOT:
            return (Level.STUDY, Level.SERIES, Level.IMAGE)
        if self is Model.PATIENT_STUDY_ONLY:
            return (Level.PATIENT, Level.STUDY)
        return (Level.PATIENT, Level.STUDY, Level.SERIES, Level.IMAGE)

    def level_of(self, attribute: Attribute) -> Level:
        """The level *attribute* belongs to in this model."""
        if self is Model.STUDY_ROOT and attribute.level is Level.PATIENT:
            return Level.STUDY
        return attribute.level


# How a value is stored and matched:
#   uid   UI: single value or list of UIDs (C.2.2.2.2)
#   str   SH/LO/CS/AE...: single value or wildcard (C.2.2.2.4), case sensitive
#   pn    PN: single value or wildcard, case insensitive by default (C.2.2.2.1.1)
#   da    DA: single value or range (C.2.2.2.5)
#   tm    TM: single value or range
#   dt    DT: single value or range
#   int   IS/US: single value (numeric)
#   seq   SQ: sequence matching over the listed item keys (C.2.2.2.6)
#   count / list: computed by the archive (C.6.1.1.x "Number of ..." and "... in Study")
Kind = Literal["uid", "str", "pn", "da", "tm", "dt", "int", "seq", "count", "list"]

TABLE_ALIAS = {Level.PATIENT: "p", Level.STUDY: "st", Level.SERIES: "se", Level.IMAGE: "i"}


@dataclass(frozen=True, slots=True)
class Attribute:
    """One attribute the index stores (or computes) at one level."""

    keyword: str
    level: Level
    kind: Kind
    column: str = ""
    items: tuple[tuple[str, Kind], ...] = ()  # item keys of a sequence attribute
    table: str = ""  # the table alias, when not the level's (the worklist's is "w")

    @property
    def sql(self) -> str:
        """The qualified column, e.g. ``st.study_date``."""
        return f"{self.table or TABLE_ALIAS[self.level]}.{self.column}"


def _a(keyword: str, level: Level, kind: Kind, column: str, **kw: object) -> Attribute:
    return Attribute(keyword, level, kind, column, **kw)  # type: ignore[arg-type]


P, S, SE, IM = Level.PATIENT, Level.STUDY, Level.SERIES, Level.IMAGE

ATTRIBUTES: tuple[Attribute, ...] = (
    # Patient level (PS3.4 Table C.6-1)
    _a("PatientName", P, "pn", "patient_name"),
    _a("PatientID", P, "str", "patient_id"),
    _a("IssuerOfPatientID", P, "str", "issuer_of_patient_id"),
    _a("PatientBirthDate", P, "da", "patient_birth_date"),
    _a("PatientBirthTime", P, "tm", "patient_birth_time"),
    _a("PatientSex", P, "str", "patient_sex"),
    _a("NumberOfPatientRelatedStudies", P, "count", "n_studies"),
    _a("NumberOfPatientRelatedSeries", P, "count", "n_series"),
    _a("NumberOfPatientRelatedInstances", P, "count", "n_instances"),
    # Study level (PS3.4 Table C.6-2)
    _a("StudyInstanceUID", S, "uid", "study_uid"),
    _a("StudyDate", S, "da", "study_date"),
    _a("StudyTime", S, "tm", "study_time"),
    _a("AccessionNumber", S, "str", "accession_number"),
    _a("StudyID", S, "str", "study_id"),
    _a("StudyDescription", S, "str", "study_description"),
    _a("ReferringPhysicianName", S, "pn", "referring_physician_name"),
    _a("PatientAge", S, "str", "patient_age"),
    _a(
        "ProcedureCodeSequence",
        S,
        "seq",
        "procedure_code_seq",
        items=(
            ("CodeValue", "str"),
            ("CodingSchemeDesignator", "str"),
            ("CodingSchemeVersion", "str"),
            ("CodeMeaning", "str"),
        ),
    ),
    _a("NumberOfStudyRelatedSeries", S, "count", "n_series"),
    _a("NumberOfStudyRelatedInstances", S, "count", "n_instances"),
    _a("ModalitiesInStudy", S, "list", "modalities"),
    _a("SOPClassesInStudy", S, "list", "sop_classes"),
    # Series level (PS3.4 Table C.6-3)
    _a("SeriesInstanceUID", SE, "uid", "series_uid"),
    _a("Modality", SE, "str", "modality"),
    _a("SeriesNumber", SE, "int", "series_number"),
    _a("SeriesDescription", SE, "str", "series_description"),
    _a("SeriesDate", SE, "da", "series_date"),
    _a("SeriesTime", SE, "tm", "series_time"),
    _a("BodyPartExamined", SE, "str", "body_part_examined"),
    _a("ProtocolName", SE, "str", "protocol_name"),
    _a("PerformingPhysicianName", SE, "pn", "performing_physician_name"),
    _a("Laterality", SE, "str", "laterality"),
    _a(
        "RequestAttributesSequence",
        SE,
        "seq",
        "request_attributes_seq",
        items=(
            ("RequestedProcedureID", "str"),
            ("ScheduledProcedureStepID", "str"),
            ("AccessionNumber", "str"),
            ("StudyInstanceUID", "uid"),
            ("RequestedProcedureDescription", "str"),
            ("ScheduledProcedureStepDescription", "str"),
        ),
    ),
    _a("NumberOfSeriesRelatedInstances", SE, "count", "n_instances"),
    # Image (instance) level (PS3.4 Table C.6-4)
    _a("SOPInstanceUID", IM, "uid", "sop_instance_uid"),
    _a("SOPClassUID", IM, "uid", "sop_class_uid"),
    _a("InstanceNumber", IM, "int", "instance_number"),
    _a("ContentDate", IM, "da", "content_date"),
    _a("ContentTime", IM, "tm", "content_time"),
    _a("AcquisitionDateTime", IM, "dt", "acquisition_datetime"),
    _a("NumberOfFrames", IM, "int", "number_of_frames"),
    _a("Rows", IM, "int", "rows"),
    _a("Columns", IM, "int", "columns"),
)

BY_KEYWORD: dict[str, Attribute] = {a.keyword: a for a in ATTRIBUTES}


def _w(keyword: str, kind: Kind, column: str) -> Attribute:
    return Attribute(keyword, Level.STUDY, kind, column, table="w")


# Modality Worklist matching keys (PS3.4 K.6.1.2.2, IHE RAD TF-2 4.5): one table row per
# Scheduled Procedure Step. Keys of the item itself...
WORKLIST_ATTRIBUTES: tuple[Attribute, ...] = (
    _w("PatientName", "pn", "patient_name"),
    _w("PatientID", "str", "patient_id"),
    _w("PatientBirthDate", "da", "patient_birth_date"),
    _w("PatientSex", "str", "patient_sex"),
    _w("AccessionNumber", "str", "accession_number"),
    _w("RequestedProcedureID", "str", "requested_procedure_id"),
    _w("StudyInstanceUID", "uid", "study_uid"),
    _w("ReferringPhysicianName", "pn", "referring_physician_name"),
)
# ... and keys inside its Scheduled Procedure Step Sequence item (matched there, PS3.4 K.2.2.1)
SPS_ATTRIBUTES: tuple[Attribute, ...] = (
    _w("ScheduledStationAETitle", "str", "station_ae"),
    _w("Modality", "str", "modality"),
    _w("ScheduledProcedureStepStartDate", "da", "sps_start_date"),
    _w("ScheduledProcedureStepStartTime", "tm", "sps_start_time"),
    _w("ScheduledPerformingPhysicianName", "pn", "performing_physician_name"),
    _w("ScheduledProcedureStepID", "str", "sps_id"),
    _w("ScheduledStationName", "str", "station_name"),
    _w("ScheduledProcedureStepStatus", "str", "sps_status"),
)

UNIQUE_KEYS: dict[Level, str] = {
    Level.PATIENT: "PatientID",
    Level.STUDY: "StudyInstanceUID",
    Level.SERIES: "SeriesInstanceUID",
    Level.IMAGE: "SOPInstanceUID",
}

# Keys every C-FIND response may carry whatever was asked (PS3.4 C.4.1.1.3.2).
RESPONSE_ONLY = frozenset(
    {"SpecificCharacterSet", "QueryRetrieveLevel", "RetrieveAETitle", "InstanceAvailability"}
)


def stored(level: Level) -> list[Attribute]:
    """Attributes stored as columns of *level*'s table (not computed)."""
    return [a for a in ATTRIBUTES if a.level is level and a.kind not in ("count", "list")]
