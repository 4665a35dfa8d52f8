"""The archive's schema as re-runnable sqlite-utils migrations (the tables and columns they
make: ``storage/schema.py``). Imported when a database is opened, not before: sqlite-utils
imports numpy at start."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from storage.attributes import SPS_ATTRIBUTES, WORKLIST_ATTRIBUTES, stored
from storage.locations import COLUMNS as RECIPE_COLUMNS
from storage.schema import (
    COVERED,
    PARENTS,
    TABLES,
    UNINDEXED,
    UNINDEXED_IMAGE_COLUMNS,
    UNINDEXED_SERIES_COLUMNS,
    UNIQUE_COLUMNS,
    level_columns,
    match_columns,
    value_columns,
)

migrations = Migrations("fabricator")


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
