"""Admin API: studies, instances (upload and download), fabrication and remote AEs, through
aiohttp's test client."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from pydicom import dcmread

from emulator.admin.app import make_app
from tests.helpers import PYDICOM_DATA, make_dataset, part10, read, uid

CT_SMALL = PYDICOM_DATA / "test_files" / "CT_small.dcm"


@pytest.fixture
async def api(aiohttp_client, emulator):
    client = await aiohttp_client(make_app(emulator))
    client.emulator = emulator
    return client


def multipart(*files: bytes) -> aiohttp.MultipartWriter:
    writer = aiohttp.MultipartWriter("related", boundary="fabricator-test")
    writer.headers["Content-Type"] = (
        'multipart/related; type="application/dicom"; boundary=fabricator-test'
    )
    for data in files:
        writer.append(data, {"Content-Type": "application/dicom"})
    return writer


async def test_upload_one_file_then_list_show_download_and_delete_its_study(api):
    data = CT_SMALL.read_bytes()
    response = await api.post(
        "/api/instances", data=data, headers={"Content-Type": "application/dicom"}
    )
    assert response.status == 201
    [stored] = (await response.json())["stored"]
    original = dcmread(CT_SMALL)
    assert stored == {
        "sop_instance_uid": original.SOPInstanceUID,
        "study_uid": original.StudyInstanceUID,
        "replaced": False,
    }

    listing = await (await api.get("/api/studies")).json()
    [study] = listing["studies"]
    assert (study["study_uid"], study["patient_id"], study["modalities"]) == (
        original.StudyInstanceUID,
        original.PatientID,
        ["CT"],
    )
    assert (study["series_count"], study["instance_count"], study["fabricated"]) == (1, 1, 0)

    shown = await (await api.get(f"/api/studies/{original.StudyInstanceUID}")).json()
    [series] = shown["series"]
    [instance] = series["instances"]
    assert (instance["sop_instance_uid"], instance["source"], instance["source_ae"]) == (
        original.SOPInstanceUID,
        "received",
        "api",
    )

    response = await api.get(f"/api/instances/{original.SOPInstanceUID}")
    assert response.status == 200
    assert response.content_type == "application/dicom"
    downloaded = read(await response.read())
    assert downloaded.SOPInstanceUID == original.SOPInstanceUID
    assert downloaded.PixelData == original.PixelData  # the bytes as stored
    as_json = await (await api.get(f"/api/instances/{original.SOPInstanceUID}?format=json")).json()
    assert as_json["00100020"]["Value"] == [original.PatientID]

    response = await api.delete(f"/api/studies/{original.StudyInstanceUID}")
    assert response.status == 204
    assert (await (await api.get("/api/studies")).json())["studies"] == []
    assert (await api.get(f"/api/instances/{original.SOPInstanceUID}")).status == 404
    assert (await api.delete(f"/api/studies/{original.StudyInstanceUID}")).status == 404


async def test_multipart_upload_stores_the_good_parts_and_names_the_bad(api):
    good = [part10(make_dataset(instance=i)) for i in (1, 2)]
    bad = part10(make_dataset(instance=3, SOPInstanceUID="1.2.3.04"))  # a leading zero
    response = await api.post("/api/instances", data=multipart(good[0], bad, good[1]))
    assert response.status == 400
    body = await response.json()
    assert [s["sop_instance_uid"] for s in body["stored"]] == [uid(1, 1, 1, 1), uid(1, 1, 1, 2)]
    [failed] = body["failed"]
    assert failed["part"] == 1
    assert "SOPInstanceUID" in failed["error"]
    assert body["detail"] == "1 of 3 parts not stored"
    assert api.emulator.index.counts()["instances"] == 2

    response = await api.post("/api/instances", data=multipart(*good))
    assert response.status == 201
    assert [s["replaced"] for s in (await response.json())["stored"]] == [True, True]


async def test_an_upload_of_the_wrong_type_says_what_to_send(api):
    response = await api.post(
        "/api/instances", data=b"hello", headers={"Content-Type": "text/plain"}
    )
    assert response.status == 415
    assert "multipart/related; type=application/dicom" in (await response.json())["detail"]
    response = await api.post(
        "/api/instances", data=b"not dicom", headers={"Content-Type": "application/dicom"}
    )
    assert response.status == 400


async def test_studies_filters_and_paging(api):
    for study, patient in (
        (1, ("SMITH^JOHN", "P1")),
        (2, ("SMYTHE^ANN", "P2")),
        (3, ("JONES", "P3")),
    ):
        api.emulator.archive.import_instance(part10(make_dataset(patient=patient, study=study)))

    async def uids(query: str) -> list[str]:
        body = await (await api.get(f"/api/studies?{query}")).json()
        return [s["study_uid"] for s in body["studies"]]

    assert await uids("patient_id=P2") == [uid(1, 2)]
    assert await uids("patient_name=sm*") == [uid(1, 1), uid(1, 2)]
    assert await uids("modality=CT&study_date=20200101-20201231") == [uid(1, i) for i in (1, 2, 3)]
    assert await uids("study_date=20210101-") == []
    assert await uids("accession_number=ACC003") == [uid(1, 3)]
    page = await (await api.get("/api/studies?limit=2")).json()
    assert len(page["studies"]) == 2
    rest = await (await api.get(f"/api/studies?limit=2&after={page['next']}")).json()
    assert [s["study_uid"] for s in rest["studies"]] == [uid(1, 3)]
    for query, words in (
        ("colour=blue", "unknown filter 'colour'"),
        ("study_date=2020", "YYYYMMDD"),
    ):
        response = await api.get(f"/api/studies?{query}")
        assert response.status == 400
        assert words in (await response.json())["detail"]
    assert (await api.get("/api/studies/1.2.3")).status == 404


async def test_fabricate_answers_what_it_created(api):
    response = await api.post(
        "/api/fabricate",
        json={
            "seed": 7,
            "patients": 2,
            "series_per_study": 1,
            "instances_per_series": 2,
            "modalities": ["mr"],
            "anchor": "20260101",
            "transfer_syntaxes": ["implicit"],
            "worklist": 1,
        },
    )
    assert response.status == 201
    body = await response.json()
    assert (body["instances"], body["seed"], body["worklist_items"]) == (4, 7, 1)
    assert len(body["study_uids"]) == 2
    listing = await (await api.get("/api/studies?modality=MR")).json()
    assert {s["study_uid"] for s in listing["studies"]} == set(body["study_uids"])
    assert {s["fabricated"] for s in listing["studies"]} == {2}
    [first, *_] = body["study_uids"]
    shown = await (await api.get(f"/api/studies/{first}")).json()
    instance = shown["series"][0]["instances"][0]
    assert instance["source"] == "fabricated"
    assert instance["transfer_syntax_uid"] == "1.2.840.10008.1.2"
    downloaded = read(
        await (await api.get(f"/api/instances/{instance['sop_instance_uid']}")).read()
    )
    assert downloaded.Modality == "MR"  # synthesized on demand
    assert len(api.emulator.archive.worklist.items()) == 1


async def test_fabricate_makes_the_objects_that_go_with_the_images(api):
    body = {"patients": 1, "series_per_study": 1, "instances_per_series": 2, "anchor": "20260101"}
    response = await api.post("/api/fabricate", json={**body, "modalities": ["ct", "sr", "doc"]})
    assert response.status == 201
    [study] = (await response.json())["study_uids"]
    shown = await (await api.get(f"/api/studies/{study}")).json()
    assert sorted(s["modality"] for s in shown["series"]) == ["CT", "DOC", "SR"]
    listing = await (await api.get("/api/studies")).json()
    assert listing["studies"][0]["modalities"] == ["CT", "DOC", "SR"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"patients": 0}, "patients must be at least 1"),
        ({"modalities": ["KO"]}, "give an image modality too, such as CT,MR,KO"),
        ({"modalities": ["XX"]}, "modality 'XX' is not one of"),
        ({"transfer_syntaxes": ["jpeg"]}, "transfer syntax jpeg is not one of"),
        ({"anchor": "yesterday"}, "anchor is a date YYYYMMDD"),
        ({"patiens": 2}, "unknown field patiens"),
        ([1, 2], "the body is a JSON object"),
    ],
)
async def test_fabricate_refuses_a_bad_spec_saying_why(api, body, words):
    response = await api.post("/api/fabricate", json=body)
    assert response.status == 400
    assert words in (await response.json())["detail"]
    assert api.emulator.index.counts()["instances"] == 0


async def test_remote_aes_are_put_listed_and_deleted(api):
    response = await api.put(
        "/api/remote-aes/viewer", json={"ae_title": "VIEWER", "host": "127.0.0.1", "port": 11113}
    )
    assert response.status == 200
    assert (await response.json())["ae_title"] == "VIEWER"
    listing = await (await api.get("/api/remote-aes")).json()
    assert [r["name"] for r in listing["remote_aes"]] == ["viewer"]
    response = await api.put(
        "/api/remote-aes/other", json={"ae_title": "VIEWER", "host": "127.0.0.1", "port": 1}
    )
    assert response.status == 409
    assert "already used by 'viewer'" in (await response.json())["detail"]
    response = await api.put("/api/remote-aes/bad", json={"ae_title": "X", "port": "many"})
    assert response.status == 400
    assert (await api.delete("/api/remote-aes/viewer")).status == 204
    assert (await api.delete("/api/remote-aes/viewer")).status == 404
    assert api.emulator.remote_aes.lookup("VIEWER") is None


async def test_fabricating_over_studies_the_same_seed_made_is_409_unless_replace(api):
    fields = {"seed": 11, "patients": 2, "instances_per_series": 1}
    first = await api.post("/api/fabricate", json=fields)
    assert first.status == 201
    uids = (await first.json())["study_uids"]
    again = await api.post("/api/fabricate", json={**fields, "patients": 3})
    assert again.status == 409
    body = await again.json()
    assert "already holds 2 of the 3 studies seed 11 makes" in body["detail"]
    assert '"replace": true' in body["detail"]
    assert api.emulator.index.counts()["studies"] == 2  # nothing more, nothing replaced
    replaced = await api.post("/api/fabricate", json={**fields, "replace": True})
    assert replaced.status == 201
    assert (await replaced.json())["study_uids"] == uids
    assert api.emulator.index.counts()["studies"] == 2


async def test_an_instance_file_lost_behind_the_archives_back_is_a_clear_500_in_one_log_line(
    api, caplog
):
    stored = api.emulator.archive.import_instance(CT_SMALL.read_bytes())
    api.emulator.files.path(stored.path).unlink()

    response = await api.get(f"/api/instances/{stored.record.sop_instance_uid}")

    assert response.status == 500
    body = await response.json()
    assert body["error"] == "Internal Server Error"
    assert body["detail"].startswith("storage error: cannot read instance")
    [line] = [r for r in caplog.records if r.name.startswith("emulator.admin")]
    assert "storage error" in line.getMessage()
    assert line.exc_info is None


async def test_fabrication_on_a_full_disk_is_507_and_leaves_nothing_half_written(api, caplog):
    conn = api.emulator.index.database.db.conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # the database cannot grow: a full disk

    response = await api.post("/api/fabricate", json={"patients": 20, "studies_per_patient": 2})

    assert response.status == 507
    body = await response.json()
    assert body["error"] == "Insufficient Storage"
    assert "database or disk is full" in body["detail"]
    assert "free space" in body["detail"]
    assert not [r for r in caplog.records if r.exc_info]
    assert api.emulator.index.counts()["instances"] == 0


async def test_fabrication_in_the_background_reports_progress_then_its_result(api):
    response = await api.post("/api/fabricate", json={"patients": 3, "seed": 9, "background": True})
    assert response.status == 202
    job = await response.json()
    assert job["state"] in ("running", "done")  # it may finish before the answer is read
    assert job["total"] > 0
    seen = []

    def finished() -> bool:
        return seen[-1]["state"] != "running" if seen else False

    while not finished():
        seen.append(await (await api.get(f"/api/jobs/{job['id']}")).json())
        await asyncio.sleep(0.02)
    done = seen[-1]
    assert (done["state"], done["done"]) == ("done", done["total"])
    assert done["result"]["instances"] == done["total"]
    assert api.emulator.index.counts()["instances"] == done["total"]
    assert (await api.get("/api/jobs/999")).status == 404
