"""SQLite schema: the tables, their columns and which are indexed (the migrations that make
them are ``storage/migrations.py``).

Columns are generated from :data:`storage.attributes.ATTRIBUTES`: each stored attribute gets its
column, PN attributes get normalized and case-folded twins (``_alpha``, ``_fold``, ``_norm``), and
TM/DT attributes get a normalized twin (``_n``) that sorts and compares as a string. Every column a
C-FIND can match on is indexed, but for most series and image keys (``m009``, ``m010``).
"""

from __future__ import annotations

from storage.attributes import Attribute, Level, stored

TABLES = {
    Level.PATIENT: "patients",
    Level.STUDY: "studies",
    Level.SERIES: "series",
    Level.IMAGE: "instances",
}

# Foreign keys each table carries, denormalized so that counts and joins use one index each.
PARENTS = {
    Level.PATIENT: (),
    Level.STUDY: ("patient_pk",),
    Level.SERIES: ("study_pk", "patient_pk"),
    Level.IMAGE: ("series_pk", "study_pk", "patient_pk"),
}

# The entity key of each level below PATIENT (PATIENT is keyed by ID + issuer).
UNIQUE_COLUMNS = frozenset({"study_uid", "series_uid", "sop_instance_uid"})


# Image-level matching keys left unindexed: a C-FIND at IMAGE level names its study and series
# (hierarchical query, PS3.4 C.4.1.2.1.3), so its rows are found by the study's index and
# these keys filter that study's instances. Each index cost every store a page written; an
# instance-level search by one of these alone (QIDO-RS /instances?Rows=512) reads the table.
# SOPInstanceUID, SOPClassUID (a viewer's search for a study's SRs or KOs) stay indexed.
UNINDEXED_IMAGE_COLUMNS = (
    "instance_number",
    "content_date",
    "content_time_n",
    "acquisition_datetime_n",
    "number_of_frames",
    "rows",
    "columns",
)


# Series-level matching keys left unindexed, for the same reason: a C-FIND at SERIES level
# names its study, whose few series these keys then filter. Modality stays indexed (QIDO-RS
# searches every series by modality, /series?Modality=CT, and C-FIND's ModalitiesInStudy).
UNINDEXED_SERIES_COLUMNS = (
    "series_number",
    "series_description",
    "series_date",
    "series_time_n",
    "body_part_examined",
    "protocol_name",
    "performing_physician_name_alpha",
    "performing_physician_name_fold",
    "laterality",
)


UNINDEXED = {Level.IMAGE: UNINDEXED_IMAGE_COLUMNS, Level.SERIES: UNINDEXED_SERIES_COLUMNS}

# Single-column indexes that a composite index starts with: every lookup they served, the
# composite serves (SQLite searches a prefix of an index), and each cost a store a page.
COVERED = {
    Level.PATIENT: ("patient_id",),  # (patient_id, issuer_of_patient_id), the patient's key
    Level.SERIES: ("study_pk",),  # (study_pk, modality)
    Level.IMAGE: ("study_pk",),  # (study_pk, sop_class_uid)
}


def value_columns(attribute: Attribute) -> dict[str, type]:
    """The SQL columns that hold *attribute*, with their Python types."""
    c = attribute.column
    if attribute.kind == "pn":
        return {c: str, f"{c}_alpha": str, f"{c}_fold": str, f"{c}_norm": str}
    if attribute.kind in ("tm", "dt"):
        return {c: str, f"{c}_n": str}
    if attribute.kind == "int":
        return {c: int}
    return {c: str}


def match_columns(attribute: Attribute) -> list[str]:
    """Columns that C-FIND matching filters on (and so are indexed)."""
    c = attribute.column
    if attribute.kind == "pn":
        return [f"{c}_alpha", f"{c}_fold"]
    if attribute.kind in ("tm", "dt"):
        return [f"{c}_n"]
    if attribute.kind == "seq":
        return []  # matched through json_each; too rare to index
    return [c]


def level_columns(level: Level) -> dict[str, type]:
    """Every column of *level*'s table except ``pk``."""
    columns: dict[str, type] = dict.fromkeys(PARENTS[level], int)
    for attribute in stored(level):
        columns.update(value_columns(attribute))
    columns["charset"] = str
    columns["updated_at"] = str
    if level is Level.IMAGE:
        columns.update(
            {
                "transfer_syntax_uid": str,
                "path": str,
                "size": int,
                "source_ae": str,
            }
        )
    return columns
