"""CORS: a web viewer served from another origin may call DICOMweb once its origin is listed
(dicomweb.cors_origins), and only then; the admin API never answers other origins."""

from __future__ import annotations

import pytest
import requests

from tests.helpers import PYDICOM_DATA

VIEWER = "http://localhost:3000"
CT_SMALL = PYDICOM_DATA / "test_files" / "CT_small.dcm"


def get(emulator, path: str, origin: str = VIEWER, **headers) -> requests.Response:
    return requests.get(
        f"{emulator.admin_url}{path}", headers={"Origin": origin, **headers}, timeout=10
    )


def preflight(emulator, path: str, method: str = "GET", origin: str = VIEWER):
    return requests.options(
        f"{emulator.admin_url}{path}",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "accept, authorization",
        },
        timeout=10,
    )


def test_cors_is_off_by_default(emulator):
    assert "Access-Control-Allow-Origin" not in get(emulator, "/dicom-web/studies").headers
    answer = preflight(emulator, "/dicom-web/studies")
    assert "Access-Control-Allow-Origin" not in answer.headers


@pytest.mark.config(dicomweb__cors_origins=VIEWER)
def test_a_listed_origin_may_search_and_read_even_the_errors(emulator):
    answer = get(emulator, "/dicom-web/studies")
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == VIEWER
    assert "Warning" in answer.headers["Access-Control-Expose-Headers"]
    missing = get(emulator, "/dicom-web/studies/1.2.3/metadata")
    assert (missing.status_code, missing.headers["Access-Control-Allow-Origin"]) == (404, VIEWER)


@pytest.mark.config(dicomweb__cors_origins=VIEWER)
def test_a_listed_origins_preflight_is_answered_before_any_token_is_asked(emulator):
    answer = preflight(emulator, "/dicom-web/studies", "POST")
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == VIEWER
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]
    assert answer.headers["Access-Control-Allow-Headers"] == "accept, authorization"


@pytest.mark.config(dicomweb__cors_origins=VIEWER)
def test_other_origins_and_the_admin_api_get_no_cors_headers(emulator):
    other = get(emulator, "/dicom-web/studies", origin="http://evil.example")
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Access-Control-Allow-Origin" not in get(emulator, "/api/health").headers
    assert "Access-Control-Allow-Origin" not in preflight(emulator, "/api/reset", "POST").headers


@pytest.mark.config(dicomweb__cors_origins=VIEWER)
def test_a_listed_origins_page_may_store_but_another_sites_page_may_not(emulator):
    body = (
        b"--b\r\nContent-Type: application/dicom\r\n\r\n" + CT_SMALL.read_bytes() + b"\r\n--b--\r\n"
    )
    headers = {
        "Content-Type": 'multipart/related; type="application/dicom"; boundary=b',
        "Sec-Fetch-Site": "cross-site",
    }
    url = f"{emulator.admin_url}/dicom-web/studies"
    refused = requests.post(
        url, data=body, headers={**headers, "Origin": "http://evil.example"}, timeout=10
    )
    assert refused.status_code == 403
    assert emulator.index.counts()["instances"] == 0
    stored = requests.post(url, data=body, headers={**headers, "Origin": VIEWER}, timeout=10)
    assert stored.status_code == 200
    assert stored.headers["Access-Control-Allow-Origin"] == VIEWER
    assert emulator.index.counts()["instances"] == 1


@pytest.mark.config(dicomweb__cors_origins="*")
def test_a_star_lets_any_origin_call_dicomweb(emulator):
    answer = get(emulator, "/dicom-web/studies", origin="http://anywhere.example:8080")
    assert answer.headers["Access-Control-Allow-Origin"] == "http://anywhere.example:8080"
