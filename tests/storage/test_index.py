"""The index on its own: atomicity, reopening, concurrent readers while writing."""

from __future__ import annotations

import errno
import itertools
import os
import sqlite3
import subprocess
import sys
import threading

import pytest

from storage import (
    FileStore,
    Index,
    Level,
    Model,
    StorageError,
    StorageFull,
    parse_find,
    read_header,
    record_from_dataset,
)
from storage.query import page_sizes
from storage.records import InstanceRecord
from tests.helpers import make_dataset, part10, query


def record(**kw) -> InstanceRecord:
    ds = make_dataset(**kw)
    return record_from_dataset(read_header(part10(ds)), "1.2.840.10008.1.2.1")


def test_a_failed_commit_leaves_no_rows_at_any_level(tmp_path, monkeypatch):
    index = Index.open(tmp_path / "i.sqlite")
    original = index._upsert

    def fail_on_instances(level, values, now):
        if level is Level.IMAGE:
            raise sqlite3.OperationalError("disk I/O error")
        return original(level, values, now)

    monkeypatch.setattr(index, "_upsert", fail_on_instances)
    with pytest.raises(sqlite3.OperationalError):
        index.add_instance(record(), "objects/x.dcm", 1)

    assert index.counts() == {"patients": 0, "studies": 0, "series": 0, "instances": 0}


def test_index_survives_reopening(tmp_path):
    path = tmp_path / "i.sqlite"
    index = Index.open(path)
    index.add_instance(record(), "objects/a.dcm", 10)
    index.close()

    reopened = Index.open(path)
    assert reopened.counts()["instances"] == 1
    assert reopened.instance(make_dataset().SOPInstanceUID).location == "objects/a.dcm"


def test_readers_stream_pages_while_a_writer_commits(tmp_path):
    index = Index.open(tmp_path / "i.sqlite")
    for i in range(1, 251):
        index.add_instance(record(study=i, patient=("P", f"P{i}")), f"objects/{i}.dcm", 1)
    request = parse_find(query("STUDY", StudyInstanceUID=""), Model.STUDY_ROOT)
    seen = []

    def write_more():
        for i in range(251, 301):
            index.add_instance(record(study=i, patient=("P", f"P{i}")), f"objects/{i}.dcm", 1)

    writer = threading.Thread(target=write_more)
    rows = index.iter_rows(request.query, page_size=20)
    seen.append(next(rows))
    writer.start()
    seen.extend(rows)
    writer.join()

    uids = [row["StudyInstanceUID"] for row in seen]
    assert len(uids) == len(set(uids)) >= 250  # paged by key: no duplicates, nothing skipped


def test_a_long_search_is_read_in_pages_that_grow(tmp_path, monkeypatch):
    # each page is a new SELECT, and one whose filter picks a name's index reads and sorts
    # every match again: pages of 20, 40, 80, 160 read 250 matches in 4, not 13
    index = Index.open(tmp_path / "i.sqlite")
    for i in range(1, 251):
        index.add_instance(record(study=i, patient=(f"P^{i}", f"P{i}")), f"objects/{i}.dcm", 1)
    request = parse_find(query("STUDY", StudyInstanceUID="", PatientName="P*"), Model.STUDY_ROOT)
    pages = []
    reader = index.reader

    def counted():
        pages.append(1)
        return reader()

    monkeypatch.setattr(index, "reader", counted)
    uids = [row["StudyInstanceUID"] for row in index.iter_rows(request.query, page_size=20)]
    assert len(uids) == len(set(uids)) == 250
    assert len(pages) == 4
    assert list(itertools.islice(page_sizes(100), 7)) == [100, 200, 400, 800, 1600, 2000, 2000]
    assert list(itertools.islice(page_sizes(5000), 2)) == [5000, 5000]  # never below the first


def test_file_store_refuses_paths_outside_its_directory(tmp_path):
    files = FileStore(tmp_path)
    from storage import StorageError

    with pytest.raises(StorageError):
        files.path("../../etc/passwd")
    with pytest.raises(StorageError):
        files.write("../evil", [b"x"])


def test_sweep_removes_unfinished_temporary_files(tmp_path):
    files = FileStore(tmp_path)
    (files.tmp / "abc.part").write_bytes(b"half")
    assert files.sweep_tmp() == 1
    assert list(files.tmp.iterdir()) == []


def test_concurrent_writers_share_commits_and_each_gets_its_own_answer(tmp_path, monkeypatch):
    """Group commit: 40 threads index at once, in fewer transactions than rows; a row that
    fails fails only its own caller, and every other row is committed."""
    index = Index.open(tmp_path / "i.sqlite")
    original, sizes = index._commit_batch, []
    monkeypatch.setattr(index, "_commit_batch", lambda b: (sizes.append(len(b)), original(b))[1])
    add = index._add

    def fail_one(rec, path, size, source_ae, now):
        if path == "objects/13.dcm":
            raise sqlite3.OperationalError("disk I/O error")
        return add(rec, path, size, source_ae, now)

    monkeypatch.setattr(index, "_add", fail_one)
    answers: dict[int, object] = {}
    start = threading.Barrier(40)

    def store(n: int) -> None:
        rec = record(study=n, patient=("P", f"P{n}"))
        start.wait()
        try:
            answers[n] = index.add_instance(rec, f"objects/{n}.dcm", 1)
        except sqlite3.OperationalError as exc:
            answers[n] = exc

    threads = [threading.Thread(target=store, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert isinstance(answers.pop(13), sqlite3.OperationalError)
    assert answers == dict.fromkeys(answers, None)
    assert len(answers) == 39
    assert index.counts()["instances"] == 39
    assert max(sizes) > 1  # rows shared a transaction
    assert index.instance(record(study=13, patient=("P", "P13")).sop_instance_uid) is None


def test_a_writer_commits_its_own_batch_and_hands_the_next_one_on():
    """Under steady load no caller keeps committing for others: each batch is committed by
    a caller whose own item is in it, so a caller waits for two commits at most."""
    import time

    from storage.group_commit import GroupCommit

    commits: list[tuple[int, list[int]]] = []

    def commit(batch):
        time.sleep(0.002)  # a commit takes a while: callers arrive meanwhile
        commits.append((threading.get_ident(), [entry.item for entry in batch]))
        for entry in batch:
            entry.finish(result=entry.item)

    group: GroupCommit[int, int] = GroupCommit(commit)
    start = threading.Barrier(20)
    answers: dict[int, int | None] = {}

    def caller() -> None:
        start.wait()
        for _ in range(5):
            me = threading.get_ident()
            answers[me] = group.submit(me)

    threads = [threading.Thread(target=caller) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(len(items) for _, items in commits) == 100
    assert len(commits) < 100  # batches were shared
    assert all(writer in items for writer, items in commits)
    assert all(answers[ident] == ident for ident in answers)


def test_a_full_disk_is_storage_full_and_rolls_the_whole_batch_back(tmp_path):
    index = Index.open(tmp_path / "i.sqlite")
    conn = index.database.db.conn
    conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
    rows = [(record(instance=n), f"objects/{n}.dcm", 1) for n in range(200)]

    with pytest.raises(StorageFull, match="database or disk is full"):
        index.add_instances(rows)

    assert index.counts() == {"patients": 0, "studies": 0, "series": 0, "instances": 0}


def _indexes(path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    return {name for (name,) in rows}


def test_image_level_keys_are_matched_among_the_instances_found_by_an_index(tmp_path):
    index = Index.open(tmp_path / "i.sqlite")
    for i in (1, 2, 3):
        index.add_instance(record(instance=i, Rows=8 * i), f"objects/{i}.dcm", 1)
    request = parse_find(
        query("IMAGE", StudyInstanceUID=make_dataset().StudyInstanceUID,
              SeriesInstanceUID=make_dataset().SeriesInstanceUID, SOPInstanceUID="",
              InstanceNumber="2", Rows=16),
        Model.STUDY_ROOT,
    )  # fmt: skip

    plan = " ".join(index.explain(request.query))
    rows = list(index.iter_rows(request.query))

    assert "SEARCH se USING INDEX idx_series_series_uid" in plan
    assert "SEARCH i USING INDEX idx_instances_series_pk (series_pk=?" in plan  # its instances
    assert "SCAN i" not in plan
    assert "idx_instances_rows" not in plan
    assert "idx_instances_instance_number" not in plan
    assert [row["SOPInstanceUID"] for row in rows] == [make_dataset(instance=2).SOPInstanceUID]


def _reopened_as_made_before(path, indexes: dict[str, str], migrations: tuple[str, ...]):
    """The indexes left once an archive that had *indexes* (name: table and columns), and
    had not run *migrations*, is opened again."""
    Index.open(path).close()
    with sqlite3.connect(path) as conn:  # as an archive of an earlier version had them
        for name, on in indexes.items():
            conn.execute(f"CREATE INDEX {name} ON {on}")
        for migration in migrations:
            conn.execute("DELETE FROM _sqlite_migrations WHERE name LIKE ?", (f"{migration}%",))
    Index.open(path).close()
    return _indexes(path)


def test_an_archive_made_before_loses_the_image_and_series_key_indexes_on_opening(tmp_path):
    old = {
        "idx_instances_rows": "instances (rows)",
        "idx_instances_content_date": "instances (content_date)",
        "idx_series_laterality": "series (laterality)",
    }
    left = _reopened_as_made_before(tmp_path / "i.sqlite", old, ("m009", "m010"))

    assert not set(old) & left
    assert {"idx_instances_sop_instance_uid", "idx_instances_sop_class_uid"} <= left
    assert "idx_instances_series_pk" in left
    assert {"idx_series_modality", "idx_series_study_pk_modality"} <= left


def test_an_archive_made_before_loses_the_indexes_a_composite_index_starts_with(tmp_path):
    old = {
        "idx_instances_study_pk": "instances (study_pk)",
        "idx_series_study_pk": "series (study_pk)",
        "idx_patients_patient_id": "patients (patient_id)",
    }
    left = _reopened_as_made_before(tmp_path / "i.sqlite", old, ("m011",))

    assert not set(old) & left
    assert {
        "idx_instances_study_pk_sop_class_uid",
        "idx_series_study_pk_modality",
        "idx_patients_patient_id_issuer_of_patient_id",
    } <= left


def test_a_patient_is_found_by_its_id_alone_through_its_key_index(tmp_path):
    index = Index.open(tmp_path / "i.sqlite")
    index.add_instance(record(), "objects/1.dcm", 1)
    request = parse_find(query("PATIENT", PatientID=make_dataset().PatientID), Model.PATIENT_ROOT)

    plan = " ".join(index.explain(request.query))

    assert "idx_patients_patient_id_issuer_of_patient_id (patient_id=?)" in plan
    assert len(list(index.iter_rows(request.query))) == 1


def test_series_level_keys_are_matched_among_the_series_of_the_study_named(tmp_path):
    index = Index.open(tmp_path / "i.sqlite")
    for series, description in ((1, "AXIAL"), (2, "CORONAL")):
        ds = record(series=series, SeriesDescription=description)
        index.add_instance(ds, f"objects/{series}.dcm", 1)
    request = parse_find(
        query("SERIES", StudyInstanceUID=make_dataset().StudyInstanceUID,
              SeriesInstanceUID="", SeriesDescription="COR*"),
        Model.STUDY_ROOT,
    )  # fmt: skip

    plan = " ".join(index.explain(request.query))
    rows = list(index.iter_rows(request.query))

    assert "SEARCH se USING INDEX idx_series_study_pk_modality (study_pk=?)" in plan
    assert [row["SeriesInstanceUID"] for row in rows] == [make_dataset(series=2).SeriesInstanceUID]


def test_the_package_names_its_modules_objects_without_importing_the_index_first() -> None:
    code = (
        "import sys, storage\n"
        "from storage import InvalidInstance, Level\n"
        "print('storage.index' in sys.modules, 'sqlite_utils' in sys.modules)\n"
        "from storage import Index\n"
        "print(Index.__module__, 'Index' in dir(storage))\n"
        "try:\n"
        "    storage.Nothing\n"
        "except AttributeError as exc:\n"
        "    print(exc)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:3] == [
        "False False",
        "storage.index True",
        "module 'storage' has no attribute 'Nothing'",
    ]


def test_an_instance_file_holds_its_chunks_in_order_even_after_short_writes(tmp_path, monkeypatch):
    """The kernel may take fewer bytes than asked: the write goes on where it stopped."""
    from storage import filestore

    real, calls = filestore.os.writev, []

    def short(fd, buffers):  # at most 5 bytes at a time
        calls.append(len(buffers))
        return real(fd, [bytes(b"".join(bytes(b) for b in buffers)[:5])])

    monkeypatch.setattr(filestore.os, "writev", short)
    chunks = [b"DICM-", b"", b"0123456789", bytes(range(256)) * 3]
    relative = FileStore(tmp_path, fsync=False).write("1.2.3.4", chunks)
    assert (tmp_path / relative).read_bytes() == b"".join(chunks)
    assert len(calls) == -(-len(b"".join(chunks)) // 5)


@pytest.mark.parametrize(
    ("code", "raised"), [(errno.ENOSPC, StorageFull), (errno.EIO, StorageError)]
)
def test_a_write_that_fails_leaves_no_file_behind_and_says_why(tmp_path, monkeypatch, code, raised):
    from storage import filestore

    def failing(fd, buffers):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(filestore.os, "writev", failing)
    files = FileStore(tmp_path, fsync=False)
    with pytest.raises(raised, match=os.strerror(code)):
        files.write("1.2.3.4", [b"x" * 100])
    assert list(files.tmp.iterdir()) == []
    assert list(tmp_path.rglob("*.dcm")) == []
