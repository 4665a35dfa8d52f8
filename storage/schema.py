"""SQLite schema, as re-runnable sqlite-utils migrations.

Columns are generated from :data:`storage.attributes.ATTRIBUTES`: each stored attribute gets its
column, PN attributes get normalized and case-folded twins (``_alpha``, ``_fold``, ``_norm``), and
TM/DT attributes get a normalized twin (``_n``) that sorts and compares as a string. Every column a
C-FIND can match on is indexed, but for most series and image keys (``m009``, ``m010``).
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from storage.attributes import SPS_ATTRIBUTES, WORKLIST_ATTRIBUTES, Attribute, Level, stored
from storage.locations import COLUMNS as RECIPE_COLUMNS

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

migrations = Migrations("fabricator")

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


@migrations()
def m001_hierarchy(db: Database) -> None:
    """Patients, studies, series and instances, with an index per matching key."""
    for level, table_name in TABLES.items():
        table = db.table(table_name)
        table.create({"pk": int, **level_columns(level)}, pk="pk")
        skipped = (*UNINDEXED.get(level, ()), *COVERED.get(level, ()))  # since m009-m011
        for parent in PARENTS[level]:
            if parent not in skipped:
                table.create_index([parent])
        for attribute in stored(level):
            for column in match_columns(attribute):
                if column not in skipped:
                    table.create_index([column], unique=column in UNIQUE_COLUMNS)
    db.table("patients").create_index(["patient_id", "issuer_of_patient_id"], unique=True)
    # ModalitiesInStudy / SOPClassesInStudy matching: EXISTS over the study's rows.
    db.table("series").create_index(["study_pk", "modality"])
    db.table("instances").create_index(["study_pk", "sop_class_uid"])


@migrations()
def m002_recipes(db: Database) -> None:
    """Fabrication recipes (a fabricated instance that is not materialized names its recipe
    and position instead of a file: ``m007_recipe_locations``)."""
    db.table("recipes").create({"pk": int, "spec": str, "created_at": str}, pk="pk")


@migrations()
def m003_worklist(db: Database) -> None:
    """Modality Worklist: one row per Scheduled Procedure Step, the item as DICOM JSON, a
    column (indexed) per matching key, and its state (SCHEDULED, IN PROGRESS, COMPLETED,
    DISCONTINUED) as MPPS moves it."""
    columns: dict[str, type] = {"pk": int}
    for attribute in (*WORKLIST_ATTRIBUTES, *SPS_ATTRIBUTES):
        columns.update(value_columns(attribute))
    columns.update(
        {
            "sps_start_dt_n": str,  # date and time together, for combined range matching
            "item": str,
            "charset": str,
            "state": str,
            "source": str,
            "created_at": str,
            "updated_at": str,
        }
    )
    table = db.table("worklist")
    table.create(columns, pk="pk")
    for attribute in (*WORKLIST_ATTRIBUTES, *SPS_ATTRIBUTES):
        for column in match_columns(attribute):
            table.create_index([column])
    table.create_index(["sps_start_dt_n"])
    table.create_index(["state"])


@migrations()
def m004_procedure_steps(db: Database) -> None:
    """Modality Performed Procedure Steps (PS3.4 Annex F): the current attributes as DICOM
    JSON, the status, and what links a step to its worklist item."""
    table = db.table("procedure_steps")
    table.create(
        {
            "pk": int,
            "sop_instance_uid": str,
            "status": str,
            "attributes": str,
            "calling_ae": str,
            "study_uid": str,
            "accession_number": str,
            "sps_id": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="pk",
    )
    table.create_index(["sop_instance_uid"], unique=True)
    table.create_index(["study_uid"])


@migrations()
def m005_commitments(db: Database) -> None:
    """Storage Commitment requests (PS3.4 Annex J) and what was reported for each."""
    table = db.table("commitments")
    table.create(
        {
            "pk": int,
            "transaction_uid": str,
            "calling_ae": str,
            "requested": int,
            "failed": int,
            "event_type": int,
            "state": str,  # pending, reported, undeliverable
            "delivered_via": str,  # same association, new association
            "report": str,  # the N-EVENT-REPORT's Event Information, DICOM JSON
            "detail": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="pk",
    )
    table.create_index(["transaction_uid"])


@migrations()
def m006_journal(db: Database) -> None:
    """The request journal's records as JSON (the emulator keeps the newest in memory)."""
    table = db.table("journal")
    table.create({"id": int, "kind": str, "record": str, "started": float}, pk="id")
    table.create_index(["kind"])


@migrations()
def m007_recipe_locations(db: Database) -> None:
    """Explicit location columns (``storage.locations``): a synthesized instance has its
    recipe and position in ``recipe_*`` columns and ``path`` NULL. Until this migration its
    ``path`` held ``fab:<recipe>:<patient>:<study>:<series>:<instance>``; such rows are
    converted."""
    table = db.table("instances")
    for column, kind in RECIPE_COLUMNS.items():
        if column not in table.columns_dict:
            table.add_column(column, kind)
    table.create_index(["recipe_pk"], if_not_exists=True)
    rows = db.execute("SELECT pk, path FROM instances WHERE path LIKE 'fab:%'").fetchall()
    for pk, path in rows:  # migrations run in a transaction: all converted or none
        recipe, *position = (int(part) for part in path[len("fab:") :].split(":"))
        db.execute(
            "UPDATE instances SET path = NULL, recipe_pk = ?, recipe_patient = ?,"
            " recipe_study = ?, recipe_series = ?, recipe_instance = ? WHERE pk = ?",
            (recipe, *position, pk),
        )


@migrations()
def m008_users(db: Database) -> None:
    """Local user accounts (``storage/users.py``): name, role and an argon2 password hash; and
    ``meta``, facts about the database itself (``ArchiveDatabase.meta``)."""
    table = db.table("users")
    table.create(
        {"name": str, "role": str, "password_hash": str, "created_at": str, "updated_at": str},
        pk="name",
    )
    db.table("meta").create({"key": str, "value": str}, pk="key")


@migrations()
def m009_unindexed_image_keys(db: Database) -> None:
    """Drop the indexes of :data:`UNINDEXED_IMAGE_COLUMNS` from an archive made before them
    (C-STORE writes ~14% fewer index pages: 43 B-trees for a new study's first instance
    instead of 50)."""
    for column in UNINDEXED_IMAGE_COLUMNS:
        db.execute(f"DROP INDEX IF EXISTS idx_instances_{column}")


@migrations()
def m010_unindexed_series_keys(db: Database) -> None:
    """Drop the indexes of :data:`UNINDEXED_SERIES_COLUMNS` from an archive made before them
    (a new series' row writes 6 B-trees instead of 15)."""
    for column in UNINDEXED_SERIES_COLUMNS:
        db.execute(f"DROP INDEX IF EXISTS idx_series_{column}")


@migrations()
def m011_covered_indexes(db: Database) -> None:
    """Drop the indexes :data:`COVERED` names from an archive made before it (a new study's
    first instance writes 31 B-trees instead of 34, ~3% of a small C-STORE's time)."""
    for level, columns in COVERED.items():
        for column in columns:
            db.execute(f"DROP INDEX IF EXISTS idx_{TABLES[level]}_{column}")


def apply(db: Database) -> None:
    """Bring *db* to the current schema (idempotent)."""
    migrations.apply(db)
