"""Fabricated studies in a running archive: found by C-FIND, synthesized for C-MOVE and C-GET."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3

import numpy as np
import pytest
from pydicom.uid import ExplicitVRLittleEndian, RLELossless
from pynetdicom import AE, build_role, evt
from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelGet

from storage.fabricate import synthesize
from storage.fabrication_spec import FabricationSpec, Position, positions
from tests.helpers import find, make_dataset, part10, query, registered_scp
from tests.helpers.retrieve import counts, move

SPEC = FabricationSpec(
    seed=21,
    patients=2,
    studies_per_patient=2,
    series_per_study=2,
    instances_per_series=3,
    modalities=("CT", "US", "MG", "PT"),
    matrix=32,
    anchor=dt.date(2026, 3, 1),
    transfer_syntaxes=(ExplicitVRLittleEndian, RLELossless),
)


@pytest.fixture(params=[False, True], ids=["synthesized", "materialized"])
def fabricated(emulator, request):
    """The archive of SPEC: index rows and a recipe, or (materialized) Part 10 files."""
    done = emulator.archive.fabricate(SPEC, materialize=request.param)
    assert done.instances == SPEC.total == 24
    return emulator


@pytest.fixture
def destination(fabricated):
    with registered_scp(fabricated) as scp:
        yield scp


def study_uids(emulator):
    results, final = find(emulator.dicom_port, query("STUDY", StudyInstanceUID=""))
    assert final.Status == 0x0000
    return sorted(str(r.StudyInstanceUID) for r in results)


def test_fabricated_studies_are_indexed_without_files_unless_materialized(fabricated):
    assert fabricated.index.counts() == {
        "patients": 2,
        "studies": 4,
        "series": 8,
        "instances": 24,
    }
    files = list((fabricated.files.root / "objects").rglob("*.dcm"))
    materialized = isinstance(
        fabricated.index.instance(synthesize(SPEC, Position(0, 0, 0, 0)).SOPInstanceUID).location,
        str,  # a file, not a recipe
    )
    assert len(files) == (24 if materialized else 0)


def test_c_find_answers_indexed_keys_and_keys_only_the_synthesized_header_holds(fabricated):
    expected = synthesize(SPEC, Position(1, 1, 0, 2))
    identifier = query(
        "IMAGE",
        StudyInstanceUID=expected.StudyInstanceUID,
        SeriesInstanceUID=expected.SeriesInstanceUID,
        SOPInstanceUID="",
        InstanceNumber="",
        Manufacturer="",  # not an index column: read from the synthesized header
        ImageType="",
    )
    results, final = find(fabricated.dicom_port, identifier)
    assert final.Status == 0x0000
    mine = [r for r in results if r.SOPInstanceUID == expected.SOPInstanceUID]
    assert len(results) == 3
    assert len(mine) == 1
    assert mine[0].InstanceNumber == 3
    assert mine[0].Manufacturer == "DICOM Fabricator"
    assert list(mine[0].ImageType) == list(expected.ImageType)


def test_c_move_synthesizes_each_instance_as_the_recipe_says(fabricated, destination):
    uids = study_uids(fabricated)
    responses, final = move(fabricated, query("STUDY", StudyInstanceUID=uids))
    assert final.Status == 0x0000
    assert counts(final)[1:] == (24, 0, 0)
    done = [s for s, _ in responses if s.Status == 0xFF00 and counts(s)[1:] != (0, 0, 0)]
    assert len(done) == 24  # a pending response per sub-operation, then the final one
    # (and one before them if the destination was slow to accept: see test_retrieve)
    received = destination.datasets
    for position in positions(SPEC):
        ds = synthesize(SPEC, position)
        got = received[ds.SOPInstanceUID]
        assert got.StudyInstanceUID == ds.StudyInstanceUID
        assert np.array_equal(got.pixel_array, ds.pixel_array), position
    # each series arrived in the syntax it was fabricated in (the destination takes them all)
    syntaxes = {uid: ts for uid, ts in destination.received}
    first = synthesize(SPEC, Position(0, 0, 0, 0))
    second = synthesize(SPEC, Position(0, 0, 1, 0))
    assert syntaxes[first.SOPInstanceUID] == ExplicitVRLittleEndian
    assert syntaxes[second.SOPInstanceUID] == RLELossless


def test_c_get_synthesizes_over_the_same_association(fabricated):
    wanted = synthesize(SPEC, Position(0, 1, 1, 0))  # a US cine run: multi-frame
    received = {}

    def on_store(event):
        ds = event.dataset
        ds.file_meta = event.file_meta
        received[str(event.request.AffectedSOPInstanceUID)] = ds
        return 0x0000

    ae = AE(ae_title="GETTER")
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    ae.add_requested_context(wanted.SOPClassUID, [ExplicitVRLittleEndian, RLELossless])
    assoc = ae.associate(
        "127.0.0.1",
        fabricated.dicom_port,
        ae_title=fabricated.ae_title,
        ext_neg=[build_role(wanted.SOPClassUID, scp_role=True)],
        evt_handlers=[(evt.EVT_C_STORE, on_store)],
    )
    assert assoc.is_established
    try:
        identifier = query(
            "SERIES",
            StudyInstanceUID=wanted.StudyInstanceUID,
            SeriesInstanceUID=wanted.SeriesInstanceUID,
        )
        responses = list(assoc.send_c_get(identifier, StudyRootQueryRetrieveInformationModelGet))
    finally:
        assoc.release()
    assert responses[-1][0].Status == 0x0000
    assert len(received) == 3
    got = received[wanted.SOPInstanceUID]
    assert got.NumberOfFrames == wanted.NumberOfFrames > 1
    assert np.array_equal(got.pixel_array, wanted.pixel_array)


def _encoded(ds) -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def test_the_bytes_of_a_fabricated_instance_are_stable_either_way(fabricated):
    ds = synthesize(SPEC, Position(0, 0, 1, 2))
    location = fabricated.index.instance(ds.SOPInstanceUID).location
    assert fabricated.archive.instances.part10(location) == fabricated.archive.instances.part10(
        location
    )
    assert fabricated.archive.instances.part10(location) == _encoded(ds)


def test_a_c_store_replacing_a_fabricated_instance_wins_and_loses_nothing(fabricated):
    original = synthesize(SPEC, Position(0, 0, 0, 0))
    replacement = make_dataset(instance=1)
    replacement.SOPInstanceUID = original.SOPInstanceUID
    outcome = fabricated.archive.import_instance(part10(replacement))
    assert outcome.replaced
    stored = fabricated.index.instance(original.SOPInstanceUID)
    assert isinstance(stored.location, str)  # a file now, no longer the recipe
    assert fabricated.index.counts()["instances"] == 24  # replaced, not added


def test_an_unreadable_recipe_fails_its_sub_operations_and_says_why(emulator, caplog):
    emulator.archive.fabricate(SPEC)
    fabricated = emulator
    caplog.set_level(logging.INFO, logger="emulator")
    with sqlite3.connect(fabricated.index.path) as db:
        db.execute('UPDATE recipes SET spec = \'{"seed": "x"}\'')
    uids = study_uids(fabricated)[:1]
    with registered_scp(fabricated):
        _, final = move(fabricated, query("STUDY", StudyInstanceUID=uids))
    assert final.Status == 0xA702  # every sub-operation failed
    assert counts(final)[1:] == (0, 6, 0)
    assert "recipe 1 is unreadable" in caplog.text


EDGE = FabricationSpec(
    seed=2,
    patients=8,
    series_per_study=1,
    instances_per_series=1,
    matrix=16,
    anchor=dt.date(2026, 3, 1),
    profile="edge-cases",
)


@pytest.mark.parametrize("case", ["latin1", "utf8", "japanese", "max-length"])
def test_c_find_matches_and_returns_edge_case_names_in_their_character_set(emulator, case):
    from storage import edge_cases

    emulator.archive.fabricate(EDGE)
    expected = synthesize(EDGE, Position(edge_cases.CASES.index(case), 0, 0, 0))
    identifier = query(
        "STUDY",
        PatientName=str(expected.PatientName),
        StudyInstanceUID="",
        PatientID="",
    )
    identifier.SpecificCharacterSet = expected.SpecificCharacterSet
    results, final = find(emulator.dicom_port, identifier)
    assert final.Status == 0x0000
    [result] = results
    assert result.StudyInstanceUID == expected.StudyInstanceUID
    assert str(result.PatientName) == str(expected.PatientName)
    assert result.PatientID == expected.PatientID


def test_c_move_of_the_edge_cases_delivers_every_one(emulator):
    emulator.archive.fabricate(EDGE)
    with registered_scp(emulator) as scp:
        studies = sorted(emulator.index.study_uids())
        _, final = move(emulator, query("STUDY", StudyInstanceUID=studies))
    assert final.Status == 0x0000
    assert counts(final)[1:] == (EDGE.total, 0, 0)
    assert len(scp.uids()) == EDGE.total
