"""Export: a DICOM File-set (Part 10 files plus a DICOMDIR) of fabricated and received studies."""

from __future__ import annotations

import datetime as dt

import pytest
from pydicom import dcmread
from pydicom.fileset import FileSet
from pydicom.uid import ExplicitVRLittleEndian, RLELossless

from emulator.cli import main
from emulator.errors import ExportError
from emulator.services.export import export
from storage.fabricate import synthesize
from storage.fabrication_spec import FabricationSpec, Position, positions
from tests.helpers import dciodvfy_problems, make_dataset, part10

SPEC = FabricationSpec(
    seed=5,
    patients=2,
    series_per_study=2,
    instances_per_series=2,
    modalities=("MR", "DX"),
    matrix=32,
    anchor=dt.date(2026, 5, 1),
    transfer_syntaxes=(ExplicitVRLittleEndian, RLELossless),
)


@pytest.fixture
def archive(emulator):
    emulator.archive.fabricate(SPEC)
    emulator.archive.import_instance(part10(make_dataset(patient=("RECEIVED^PAT", "R1"), study=9)))
    return emulator


def run(emulator, out, studies=None):
    return export(emulator.index, emulator.archive.instances, out, studies)


def test_export_writes_every_instance_and_a_dicomdir_that_indexes_them(archive, tmp_path):
    out = tmp_path / "out"
    result = run(archive, out)
    assert (result.instances, result.skipped) == (9, {})
    fileset = FileSet(dcmread(out / "DICOMDIR"))
    found = {instance.SOPInstanceUID for instance in fileset}
    assert found == {row["sop_instance_uid"] for row in archive.index.locations()}
    # each file holds the instance: fabricated ones exactly as synthesized (their syntax kept)
    for position in positions(SPEC):
        expected = synthesize(SPEC, position)
        [instance] = fileset.find(SOPInstanceUID=expected.SOPInstanceUID)
        got = instance.load()
        assert got.file_meta.TransferSyntaxUID == expected.file_meta.TransferSyntaxUID
        assert got.PixelData == expected.PixelData


def test_the_same_archive_exports_to_the_same_bytes_dicomdir_included(archive, tmp_path):
    run(archive, tmp_path / "one")
    run(archive, tmp_path / "two")
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*"))
    assert files == sorted(p.relative_to(tmp_path / "two") for p in (tmp_path / "two").rglob("*"))
    for name in files:
        if (tmp_path / "one" / name).is_file():
            assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    dicomdir = dcmread(tmp_path / "one" / "DICOMDIR")
    run(archive, tmp_path / "three", [dicomdir.DirectoryRecordSequence[1].StudyInstanceUID])
    other = dcmread(tmp_path / "three" / "DICOMDIR")  # other content, another File-set UID
    assert (
        other.file_meta.MediaStorageSOPInstanceUID != dicomdir.file_meta.MediaStorageSOPInstanceUID
    )


def test_the_dicomdir_passes_dciodvfy(archive, tmp_path):
    run(archive, tmp_path / "out")
    assert dciodvfy_problems(tmp_path / "out" / "DICOMDIR") == []


def test_objects_and_received_reports_export_with_a_dicomdir_that_passes_dciodvfy(
    emulator, tmp_path
):
    """SR and KO document records hold only the root's concept modifiers (PS3.3 F.5.24),
    where pydicom would copy the whole content tree; a received report too."""
    objects = FabricationSpec(
        seed=6, patients=2, series_per_study=1, instances_per_series=2, matrix=32,
        modalities=("CT", "MR", "SR", "KO", "PR", "SEG", "DOC", "ECG"), anchor=dt.date(2026, 5, 1),
    )  # fmt: skip
    emulator.archive.fabricate(objects)
    received = synthesize(objects, Position(0, 0, 1, 0))  # the SR, as a client would send it
    received.SOPInstanceUID = received.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4.5"
    emulator.archive.import_instance(part10(received))
    result = run(emulator, tmp_path / "out")
    assert (result.instances, result.skipped) == (objects.total + 1, {})
    records = {
        r.DirectoryRecordType
        for r in dcmread(tmp_path / "out" / "DICOMDIR").DirectoryRecordSequence
    }
    assert {"SR DOCUMENT", "KEY OBJECT DOC", "PRESENTATION", "ENCAP DOC", "WAVEFORM"} <= records
    assert dciodvfy_problems(tmp_path / "out" / "DICOMDIR") == []


def test_export_of_chosen_studies_writes_only_those(archive, tmp_path):
    study = synthesize(SPEC, Position(1, 0, 0, 0)).StudyInstanceUID
    result = run(archive, tmp_path / "out", [study])
    assert result.instances == 4
    fileset = FileSet(dcmread(tmp_path / "out" / "DICOMDIR"))
    assert {instance.StudyInstanceUID for instance in fileset} == {study}


def test_export_refuses_a_directory_in_use_and_an_unknown_study(archive, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "keep.txt").write_text("mine")
    with pytest.raises(ExportError, match="is not an empty directory"):
        run(archive, tmp_path / "used")
    with pytest.raises(ExportError, match=r"no study 1\.2\.3 in the archive"):
        run(archive, tmp_path / "new", ["1.2.3"])
    assert (tmp_path / "used" / "keep.txt").read_text() == "mine"
    assert not (tmp_path / "new").exists()


def test_an_instance_that_cannot_be_read_is_skipped_and_reported(archive, tmp_path):
    received = next(row for row in archive.index.locations() if row["path"] is not None)
    archive.files.path(received["path"]).unlink()  # lost behind the archive's back
    result = run(archive, tmp_path / "out")
    assert result.instances == 8
    assert list(result.skipped) == [received["sop_instance_uid"]]
    assert "cannot read" in result.skipped[received["sop_instance_uid"]]


def test_export_command_writes_a_fileset_from_a_data_directory(tmp_path, capsys):
    data, out = tmp_path / "data", tmp_path / "out"
    assert main(["fabricate", "--data-dir", str(data), "--patients", "1", "--matrix", "16"]) == 0
    assert main(["export", "--data-dir", str(data), "--out", str(out)]) == 0
    assert f"exported 10 instances with a DICOMDIR to {out}" in capsys.readouterr().out
    assert len(list(FileSet(dcmread(out / "DICOMDIR")))) == 10
    assert main(["export", "--data-dir", str(data), "--out", str(out)]) == 1
    assert "is not an empty directory" in capsys.readouterr().err
    assert main(["export", "--data-dir", str(tmp_path / "none"), "--out", str(out)]) == 1
    assert "no archive in" in capsys.readouterr().err
