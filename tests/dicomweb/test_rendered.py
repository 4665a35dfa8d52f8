"""Rendered images, thumbnails and WADO-URI: what a viewer's thumbnail strip and a legacy
WADO link get, checked by decoding the images."""

from __future__ import annotations

from io import BytesIO

import numpy as np
import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from PIL import Image
from pydicom import dcmread

from tests.helpers import PYDICOM_DATA

TEST_FILES = PYDICOM_DATA / "test_files"


@pytest.fixture
def ct(emulator):
    emulator.archive.import_instance((TEST_FILES / "CT_small.dcm").read_bytes())
    return dcmread(TEST_FILES / "CT_small.dcm")


def url(emulator, ds, tail: str = "") -> str:
    return (
        f"{emulator.admin_url}/dicom-web/studies/{ds.StudyInstanceUID}/series/"
        f"{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}{tail}"
    )


def image(response: requests.Response) -> Image.Image:
    assert response.status_code == 200, response.text
    return Image.open(BytesIO(response.content))


def test_rendered_is_a_jpeg_of_the_frame_windowed_as_the_instance_says(emulator):
    emulator.archive.import_instance((TEST_FILES / "MR_small.dcm").read_bytes())
    mr = dcmread(TEST_FILES / "MR_small.dcm")
    rendered = image(requests.get(url(emulator, mr, "/rendered"), timeout=10))
    assert (rendered.format, rendered.size, rendered.mode) == ("JPEG", (64, 64), "L")
    png = image(
        requests.get(url(emulator, mr, "/rendered"), headers={"Accept": "image/png"}, timeout=10)
    )
    assert png.format == "PNG"
    # the instance's own window: a lossless PNG shows exactly the linear VOI of PS3.3 C.11.2
    values = mr.pixel_array * float(mr.get("RescaleSlope", 1)) + float(
        mr.get("RescaleIntercept", 0)
    )
    center, width = float(mr.WindowCenter), float(mr.WindowWidth)
    expected = np.clip(((values - (center - 0.5)) / (width - 1) + 0.5) * 255, 0, 255)
    assert np.abs(np.asarray(png, dtype=float) - expected.astype(np.uint8)).max() <= 1


def test_window_viewport_and_quality_change_what_is_rendered(emulator, ct):
    base = requests.get(url(emulator, ct, "/rendered"), headers={"Accept": "image/png"}, timeout=10)
    narrow = requests.get(
        url(emulator, ct, "/rendered"),
        params={"window": "0,10"},
        headers={"Accept": "image/png"},
        timeout=10,
    )
    assert image(narrow).tobytes() != image(base).tobytes()
    assert set(np.unique(np.asarray(image(narrow)))) <= set(range(256))
    small = image(
        requests.get(url(emulator, ct, "/rendered"), params={"viewport": "64,32"}, timeout=10)
    )
    assert small.size == (32, 32)  # fits 64x32, keeping the square aspect
    low = requests.get(url(emulator, ct, "/rendered"), params={"quality": "5"}, timeout=10)
    high = requests.get(url(emulator, ct, "/rendered"), params={"quality": "95"}, timeout=10)
    assert len(low.content) < len(high.content)


def test_thumbnails_of_a_study_series_and_instance_fit_128_pixels(emulator, ct):
    study = f"{emulator.admin_url}/dicom-web/studies/{ct.StudyInstanceUID}"
    for target in (
        f"{study}/thumbnail",
        f"{study}/series/{ct.SeriesInstanceUID}/thumbnail",
        url(emulator, ct, "/thumbnail"),
    ):
        thumb = image(requests.get(target, timeout=10))
        assert max(thumb.size) <= 128


def test_a_frame_of_a_multi_frame_colour_instance_is_rendered_and_a_missing_one_is_404(emulator):
    emulator.archive.import_instance((TEST_FILES / "SC_rgb_rle_2frame.dcm").read_bytes())
    sc = dcmread(TEST_FILES / "SC_rgb_rle_2frame.dcm")
    second = image(
        requests.get(
            url(emulator, sc, "/frames/2/rendered"), headers={"Accept": "image/png"}, timeout=10
        )
    )
    assert (second.size, second.mode) == ((sc.Columns, sc.Rows), "RGB")
    assert (np.asarray(second) == sc.pixel_array[1]).all()  # RGB as stored, lossless PNG
    beyond = requests.get(url(emulator, sc, "/frames/3/rendered"), timeout=10)
    assert beyond.status_code == 404
    assert "is not one of" in beyond.json()["detail"]


def test_dicomweb_client_gets_rendered_instances(emulator, ct):
    client = DICOMwebClient(f"{emulator.admin_url}/dicom-web")
    data = client.retrieve_instance_rendered(
        ct.StudyInstanceUID, ct.SeriesInstanceUID, ct.SOPInstanceUID, media_types=("image/png",)
    )
    assert Image.open(BytesIO(data)).format == "PNG"


@pytest.mark.parametrize(
    ("tail", "params", "accept", "status", "says"),
    [
        ("/rendered", {}, "image/gif", 406, "image/jpeg or image/png"),
        ("/rendered", {"window": "40"}, "image/jpeg", 400, "2 comma-separated numbers"),
        ("/rendered", {"window": "40,0"}, "image/jpeg", 400, "width > 0"),
        ("/rendered", {"viewport": "0,10"}, "image/jpeg", 400, "from 1 to 8192"),
        ("/rendered", {"quality": "101"}, "image/jpeg", 400, "from 1 to 100"),
        ("/frames/1,2/rendered", {}, "image/jpeg", 400, "one number"),
    ],
)
def test_bad_rendering_requests_are_4xx(emulator, ct, tail, params, accept, status, says):
    response = requests.get(
        url(emulator, ct, tail), params=params, headers={"Accept": accept}, timeout=10
    )
    assert response.status_code == status
    assert says in response.json()["detail"]


def test_wado_uri_sends_the_instance_or_a_jpeg(emulator, ct):
    params = {
        "requestType": "WADO",
        "studyUID": ct.StudyInstanceUID,
        "seriesUID": ct.SeriesInstanceUID,
        "objectUID": ct.SOPInstanceUID,
    }
    wado = f"{emulator.admin_url}/dicom-web/wado"
    jpeg = image(requests.get(wado, params=params, timeout=10))
    assert jpeg.format == "JPEG"
    sized = image(requests.get(wado, params={**params, "rows": "64"}, timeout=10))
    assert sized.size == (64, 64)
    dicom = requests.get(wado, params={**params, "contentType": "application/dicom"}, timeout=10)
    assert dicom.headers["Content-Type"] == "application/dicom"
    assert dcmread(BytesIO(dicom.content)).SOPInstanceUID == ct.SOPInstanceUID
    missing = requests.get(wado, params={**params, "requestType": "ANY"}, timeout=10)
    assert missing.status_code == 400
    journal = requests.get(
        f"{emulator.admin_url}/api/journal",
        params={"kind": "http", "service": "WADO-URI"},
        timeout=10,
    ).json()["entries"]
    assert [e["status"] for e in journal] == [200, 200, 200, 400]
