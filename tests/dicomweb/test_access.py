"""DICOMweb follows the admin API's access rules: with tokens, viewer may search and
retrieve, test_write may also store; no token is 401."""

from __future__ import annotations

import pytest

from emulator.admin.app import make_app
from tests.helpers import PYDICOM_DATA

VIEWER, WRITER = "v" * 20, "w" * 20
TOKENS = {VIEWER: "viewer", WRITER: "test_write"}
CT_SMALL = PYDICOM_DATA / "test_files" / "CT_small.dcm"
STOW = {"Content-Type": 'multipart/related; type="application/dicom"; boundary=b'}
BODY = b"--b\r\nContent-Type: application/dicom\r\n\r\n" + CT_SMALL.read_bytes() + b"\r\n--b--\r\n"


@pytest.fixture
async def web(aiohttp_client, emulator):
    client = await aiohttp_client(make_app(emulator, TOKENS))
    client.emulator = emulator
    return client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_without_a_token_dicomweb_is_401(web):
    response = await web.get("/dicom-web/studies")
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_viewer_searches_and_retrieves_but_may_not_store(web):
    assert (await web.get("/dicom-web/studies", headers=bearer(VIEWER))).status == 200
    refused = await web.post("/dicom-web/studies", data=BODY, headers={**STOW, **bearer(VIEWER)})
    assert refused.status == 403
    assert "needs test_write" in (await refused.json())["detail"]
    assert web.emulator.index.counts()["instances"] == 0


async def test_test_write_stores(web):
    stored = await web.post("/dicom-web/studies", data=BODY, headers={**STOW, **bearer(WRITER)})
    assert stored.status == 200
    found = await (await web.get("/dicom-web/studies", headers=bearer(VIEWER))).json()
    assert len(found) == 1


async def test_only_test_write_deletes(web):
    await web.post("/dicom-web/studies", data=BODY, headers={**STOW, **bearer(WRITER)})
    study = (await (await web.get("/dicom-web/studies", headers=bearer(VIEWER))).json())[0]
    uid = study["0020000D"]["Value"][0]
    assert (await web.delete(f"/dicom-web/studies/{uid}", headers=bearer(VIEWER))).status == 403
    assert (await web.delete(f"/dicom-web/studies/{uid}", headers=bearer(WRITER))).status == 204
    assert web.emulator.index.counts()["instances"] == 0
