"""Orthanc as a client of the emulator: an independent implementation of the DICOM services
the emulator serves, driven through Orthanc's REST API."""

from __future__ import annotations

import pytest
from pydicom import dcmread

from emulator.remotes import RemoteAE
from tests.helpers import PYDICOM_DATA, wait_until
from tests.helpers.orthanc import orthanc

pytestmark = pytest.mark.orthanc

CT_SMALL = PYDICOM_DATA / "test_files" / "CT_small.dcm"


def test_storage_commitment_requested_by_orthanc_on_default_settings_is_reported(
    emulator, tmp_path
):
    """Orthanc releases the association right after the N-ACTION-RSP and takes the report on
    its own port: with the default commitment mode the report must reach it there."""
    emulator.archive.import_instance(CT_SMALL.read_bytes())
    ct = dcmread(CT_SMALL, stop_before_pixels=True)
    fab = (emulator.ae_title, "127.0.0.1", emulator.dicom_port)
    with orthanc(tmp_path, {"fab": fab}) as server:
        emulator.remote_aes.put(
            RemoteAE("orthanc", server.ae_title, "127.0.0.1", server.dicom_port)
        )
        known = {"SOPClassUID": str(ct.SOPClassUID), "SOPInstanceUID": str(ct.SOPInstanceUID)}
        unknown = {"SOPClassUID": str(ct.SOPClassUID), "SOPInstanceUID": "1.2.3.4.5.6.7.8"}
        job = server.post("/modalities/fab/storage-commitment", {"DicomInstances": [known]})
        assert wait_until(lambda: server.get(job["Path"])["Status"] != "Pending", timeout=15)
        report = server.get(job["Path"])
        assert report["Status"] == "Success", report
        assert [i["SOPInstanceUID"] for i in report["Success"]] == [known["SOPInstanceUID"]]

        job = server.post(
            "/modalities/fab/storage-commitment", {"DicomInstances": [known, unknown]}
        )
        assert wait_until(lambda: server.get(job["Path"])["Status"] != "Pending", timeout=15)
        report = server.get(job["Path"])
        assert report["Status"] == "Failure", report
        [failure] = report["Failures"]
        assert failure["SOPInstanceUID"] == unknown["SOPInstanceUID"]
    records = emulator.archive.commitments.all()
    assert [(r.state, r.delivered_via) for r in records] == [("reported", "new association")] * 2
