"""Where an indexed instance is: a file, or a recipe and position, in explicit columns."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from storage import Index, migrations, read_header, record_from_dataset
from storage.fabrication_spec import Position
from storage.locations import Recipe, from_row, values
from storage.records import InstanceRecord
from tests.helpers import make_dataset, part10


def record(**kw) -> InstanceRecord:
    return record_from_dataset(read_header(part10(make_dataset(**kw))), "1.2.840.10008.1.2.1")


def test_a_location_is_a_file_path_or_a_recipe_and_its_columns_say_which():
    recipe = Recipe(12, Position(1, 2, 3, 4))
    assert values(recipe) == {
        "path": None,
        "recipe_pk": 12,
        "recipe_patient": 1,
        "recipe_study": 2,
        "recipe_series": 3,
        "recipe_instance": 4,
    }
    assert values("objects/ab/x.dcm")["recipe_pk"] is None
    assert from_row(values(recipe)) == recipe
    assert from_row(values("objects/ab/x.dcm")) == "objects/ab/x.dcm"
    assert from_row(tuple(values(recipe).values())) == recipe


def test_the_index_keeps_a_recipe_location_and_reports_it_when_a_file_replaces_it(tmp_path):
    index = Index.open(tmp_path / "i.sqlite")
    synthesized = Recipe(1, Position(0, 0, 0, 7))
    index.add_instance(record(), synthesized, 0)
    uid = record().sop_instance_uid
    assert index.instance(uid).location == synthesized

    assert index.add_instance(record(), "objects/a.dcm", 10) == synthesized  # replaced
    assert index.instance(uid).location == "objects/a.dcm"
    assert index.add_instance(record(), "objects/a.dcm", 10) is None  # same place: nothing to drop


def test_removing_fabricated_instances_leaves_received_files_and_names_no_recipe(tmp_path):
    index = Index.open(tmp_path / "i.sqlite")
    index.add_instance(record(instance=1), Recipe(1, Position(0, 0, 0, 0)), 0)
    index.add_instance(record(instance=2), "objects/b.dcm", 10)

    assert index.remove(received=False) == (1, [])
    assert index.counts()["instances"] == 1
    assert index.remove() == (1, ["objects/b.dcm"])


def test_an_archive_of_the_old_fab_scheme_is_converted_when_opened(tmp_path):
    path = tmp_path / "old.sqlite"
    db = Database(sqlite3.connect(path))
    migrations.migrations.apply(db, stop_before="m007_recipe_locations")
    db.execute(
        "INSERT INTO instances (sop_instance_uid, path) VALUES ('1.2.3', 'fab:3:0:1:2:4'),"
        " ('1.2.4', 'objects/x.dcm')"
    )
    db.conn.commit()
    db.conn.close()

    index = Index.open(path)
    assert index.instance("1.2.3").location == Recipe(3, Position(0, 1, 2, 4))
    assert index.instance("1.2.4").location == "objects/x.dcm"
