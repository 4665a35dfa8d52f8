"""Orthanc's DICOMweb plugin as a client of the emulator's DICOMweb: QIDO-RS, WADO-RS retrieve
into Orthanc, and STOW-RS from Orthanc, through Orthanc's /dicom-web/servers/{id} routes."""

from __future__ import annotations

import pytest
from pydicom import dcmread

from tests.helpers import PYDICOM_DATA
from tests.helpers.orthanc import DICOMWEB_PLUGIN, orthanc

pytestmark = pytest.mark.orthanc_dicomweb

TEST_FILES = PYDICOM_DATA / "test_files"


def with_plugin(emulator) -> dict:
    return {
        "Plugins": [DICOMWEB_PLUGIN],
        "DicomWeb": {
            "Enable": True,
            "Root": "/dicom-web/",
            "Servers": {"fab": [f"{emulator.admin_url}/dicom-web/"]},
        },
    }


def test_orthanc_searches_and_retrieves_a_study_the_emulator_received_by_c_store(
    emulator, tmp_path
):
    emulator.archive.import_instance((TEST_FILES / "CT_small.dcm").read_bytes())
    ct = dcmread(TEST_FILES / "CT_small.dcm", stop_before_pixels=True)
    with orthanc(tmp_path, {}, settings=with_plugin(emulator)) as server:
        found = server.post(
            "/dicom-web/servers/fab/qido",
            {"Uri": "/studies", "Arguments": {"PatientID": "1CT1"}},
        )
        # Orthanc hands the answer on in its own JSON shape: "Value" a plain string
        assert [s["0020000D"]["Value"] for s in found] == [ct.StudyInstanceUID]
        series = server.post(
            "/dicom-web/servers/fab/qido", {"Uri": f"/studies/{ct.StudyInstanceUID}/series"}
        )
        assert [s["0020000E"]["Value"] for s in series] == [ct.SeriesInstanceUID]

        server.post(
            "/dicom-web/servers/fab/retrieve",
            {"Resources": [{"Study": ct.StudyInstanceUID}]},
        )
        [instance] = server.get("/instances?expand")
        tags = server.get(f"/instances/{instance['ID']}/simplified-tags")
        assert tags["SOPInstanceUID"] == ct.SOPInstanceUID
    requests = emulator.journal.select("http", {"service": "WADO-RS"})
    assert requests
    assert all(r.status == 200 for r in requests)


def test_orthanc_stores_into_the_emulator_by_stow_rs(emulator, tmp_path):
    with orthanc(tmp_path, {}, settings=with_plugin(emulator)) as server:
        upload = server.post_bytes("/instances", (TEST_FILES / "MR_small.dcm").read_bytes())
        server.post("/dicom-web/servers/fab/stow", {"Resources": [upload["ID"]]})
    mr = dcmread(TEST_FILES / "MR_small.dcm", stop_before_pixels=True)
    assert emulator.archive.has_instance(mr.SOPInstanceUID)
    [stow] = emulator.journal.select("http", {"service": "STOW-RS"})
    assert (stow.status, stow.matches) == (200, 1)
