"""The patient / study / series / instance hierarchy in SQL: how each level's row is upserted,
and how the rows above an instance are kept right when it moves or goes (the instance index,
``storage/index.py``, runs these in its transactions)."""

from __future__ import annotations

import logging
import sqlite3

from storage import locations, schema
from storage.attributes import Level

log = logging.getLogger("storage.index")

# Each level's unique key (the schema's unique indexes): what an upsert conflicts on.
KEY_COLUMNS = {
    Level.PATIENT: ("patient_id", "issuer_of_patient_id"),
    Level.STUDY: ("study_uid",),
    Level.SERIES: ("series_uid",),
    Level.IMAGE: ("sop_instance_uid",),
}


def upsert_sql(level: Level) -> tuple[str, list[str]]:
    """INSERT … ON CONFLICT for one level.

    An instance row is replaced whole. Patient, study and series rows take each new non-empty
    value but keep a value that a later instance merely leaves out (instances of one study
    need not all carry every study attribute).
    """
    columns = list(schema.level_columns(level))
    if level is Level.IMAGE:
        columns += locations.COLUMNS  # added by a later migration
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    if level is Level.IMAGE:
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns)
    else:
        updates = ", ".join(
            f"{c} = COALESCE(NULLIF(NULLIF(excluded.{c}, ''), '[]'), {c})" for c in columns
        )
    table = schema.TABLES[level]
    key = ", ".join(KEY_COLUMNS[level])
    sql = (
        f"INSERT INTO {table} ({names}) VALUES ({marks}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {updates} RETURNING pk"
    )
    return sql, columns


def rehome(conn: sqlite3.Connection, study_pk: int, patient_pk: int, series_pk: int) -> None:
    """Keep denormalized parent keys right when a study or series changed its parent."""
    moved = conn.execute(
        "UPDATE series SET patient_pk = ? WHERE study_pk = ? AND patient_pk != ?",
        (patient_pk, study_pk, patient_pk),
    ).rowcount
    moved += conn.execute(
        "UPDATE instances SET patient_pk = ?, study_pk = ?"
        " WHERE series_pk = ? AND (patient_pk != ? OR study_pk != ?)",
        (patient_pk, study_pk, series_pk, patient_pk, study_pk),
    ).rowcount
    moved += conn.execute(
        "UPDATE instances SET patient_pk = ? WHERE study_pk = ? AND patient_pk != ?",
        (patient_pk, study_pk, patient_pk),
    ).rowcount
    if moved:
        log.warning(
            "re-parented %d row(s): a study or series arrived under a different parent", moved
        )


def drop_orphans(conn: sqlite3.Connection, series_pk: int, study_pk: int, patient_pk: int) -> None:
    """Remove the series, study and patient rows an instance's removal left empty."""
    conn.execute(
        "DELETE FROM series WHERE pk = ? AND NOT EXISTS"
        " (SELECT 1 FROM instances WHERE series_pk = ?)",
        (series_pk, series_pk),
    )
    conn.execute(
        "DELETE FROM studies WHERE pk = ? AND NOT EXISTS (SELECT 1 FROM series WHERE study_pk = ?)",
        (study_pk, study_pk),
    )
    conn.execute(
        "DELETE FROM patients WHERE pk = ? AND NOT EXISTS"
        " (SELECT 1 FROM studies WHERE patient_pk = ?)",
        (patient_pk, patient_pk),
    )


def drop_all_orphans(conn: sqlite3.Connection) -> None:
    """Remove every series, study and patient row left without a child (after a bulk
    removal of instances)."""
    for table, child, key in (
        ("series", "instances", "series_pk"),
        ("studies", "series", "study_pk"),
        ("patients", "studies", "patient_pk"),
    ):
        conn.execute(
            f"DELETE FROM {table} WHERE NOT EXISTS"
            f" (SELECT 1 FROM {child} WHERE {child}.{key} = {table}.pk)"
        )
