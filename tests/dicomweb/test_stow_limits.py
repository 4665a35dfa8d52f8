"""STOW-RS bodies that are malformed or too large: a clear 4xx, nothing half-written, and the
parts before a break stored whole."""

from __future__ import annotations

import pytest
import requests

from tests.helpers import PYDICOM_DATA

TEST_FILES = PYDICOM_DATA / "test_files"
TYPE = 'multipart/related; type="application/dicom"'


def body(*parts: bytes, boundary: str = "b") -> bytes:
    out = b"".join(
        f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + part + b"\r\n"
        for part in parts
    )
    return out + f"--{boundary}--\r\n".encode()


def post(emulator, data: bytes, content_type: str) -> requests.Response:
    return requests.post(
        f"{emulator.admin_url}/dicom-web/studies",
        data=data,
        headers={"Content-Type": content_type},
        timeout=10,
    )


def test_a_multipart_body_without_a_boundary_is_400(emulator):
    response = post(emulator, body((TEST_FILES / "CT_small.dcm").read_bytes()), TYPE)
    assert response.status_code == 400
    assert "boundary" in response.json()["detail"]
    assert emulator.index.counts()["instances"] == 0


def test_a_body_that_is_not_multipart_at_all_is_400_and_stores_nothing(emulator):
    response = post(emulator, b"\x00" * 5000, f"{TYPE}; boundary=b")
    assert response.status_code == 400
    assert emulator.index.counts()["instances"] == 0


@pytest.mark.config(admin__max_upload_size=20_000)
def test_a_part_over_admin_max_upload_size_is_413_and_the_parts_before_it_stay(emulator):
    small = (TEST_FILES / "MR_small.dcm").read_bytes()  # 9.8 kB
    big = (TEST_FILES / "CT_small.dcm").read_bytes()  # 39 kB
    response = post(emulator, body(small, big), f"{TYPE}; boundary=b")
    assert response.status_code == 413
    assert "admin.max_upload_size" in response.json()["detail"]
    assert emulator.index.counts()["instances"] == 1  # MR_small, whole


@pytest.mark.config(dicomweb__max_request_size=30_000)
def test_a_body_over_dicomweb_max_request_size_is_413(emulator):
    small = (TEST_FILES / "MR_small.dcm").read_bytes()
    response = post(emulator, body(small, small, small, small), f"{TYPE}; boundary=b")
    assert response.status_code == 413
    assert "dicomweb.max_request_size" in response.json()["detail"]
    assert emulator.index.counts()["instances"] == 1  # the same instance, stored whole
