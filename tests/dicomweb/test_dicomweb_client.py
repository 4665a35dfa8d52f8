"""DICOMweb as dicomweb-client (an independent implementation) sees it over a real socket, with
what DIMSE sees of the same archive as the reference."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from pydicom import dcmread, dcmwrite
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, RLELossless

from storage.fabricate import synthesize
from storage.fabrication_spec import FabricationSpec, Position
from tests.helpers import PYDICOM_DATA, find, part10, query

TEST_FILES = PYDICOM_DATA / "test_files"
SPEC = FabricationSpec(
    seed=5,
    patients=2,
    studies_per_patient=2,
    series_per_study=2,
    instances_per_series=2,
    modalities=("CT", "US"),
    matrix=32,
    anchor=dt.date(2026, 3, 1),
    transfer_syntaxes=(ExplicitVRLittleEndian, RLELossless),
)


@pytest.fixture
def archive(emulator):
    """SPEC fabricated (16 instances in 4 studies) and CT_small.dcm received."""
    emulator.archive.fabricate(SPEC)
    emulator.archive.import_instance((TEST_FILES / "CT_small.dcm").read_bytes())
    return emulator


def client(emulator) -> DICOMwebClient:
    return DICOMwebClient(f"{emulator.admin_url}/dicom-web")


def uids(results, tag: str) -> list[str]:
    return sorted(r[tag]["Value"][0] for r in results)


def dimse(emulator, level: str, **keys) -> list[str]:
    found, final = find(emulator.dicom_port, query(level, **keys))
    assert final.Status == 0x0000
    unique = {"STUDY": "StudyInstanceUID", "SERIES": "SeriesInstanceUID", "IMAGE": "SOPInstanceUID"}
    return sorted(str(ds.get(unique[level])) for ds in found)


def test_qido_finds_at_every_level_what_c_find_finds(archive):
    web = client(archive)
    studies = web.search_for_studies()
    assert uids(studies, "0020000D") == dimse(archive, "STUDY", StudyInstanceUID="")
    assert len(studies) == 5
    study = uids(studies, "0020000D")[-1]  # a fabricated one (2.25. sorts after 1.3.6.)
    series = web.search_for_series(study)
    assert uids(series, "0020000E") == dimse(
        archive, "SERIES", StudyInstanceUID=study, SeriesInstanceUID=""
    )
    one = uids(series, "0020000E")[0]
    instances = web.search_for_instances(study, one)
    assert uids(instances, "00080018") == dimse(
        archive, "IMAGE", StudyInstanceUID=study, SeriesInstanceUID=one, SOPInstanceUID=""
    )
    assert len(web.search_for_series()) == 9  # relational: every series of the archive
    assert len(web.search_for_instances()) == 17
    assert len(web.search_for_instances(study)) == 4


def test_qido_answers_the_computed_attributes_and_retrieve_urls(archive):
    [study] = client(archive).search_for_studies(search_filters={"PatientID": "1CT1"})
    assert study["00201206"]["Value"] == [1]  # NumberOfStudyRelatedSeries
    assert study["00201208"]["Value"] == [1]  # NumberOfStudyRelatedInstances
    assert study["00080061"]["Value"] == ["CT"]  # ModalitiesInStudy
    assert study["00080056"]["Value"] == ["ONLINE"]  # InstanceAvailability
    uid = study["0020000D"]["Value"][0]
    assert study["00081190"]["Value"] == [f"{archive.admin_url}/dicom-web/studies/{uid}"]


def test_qido_matches_as_c_find_does_wildcards_ranges_uid_lists_and_tags(archive):
    web = client(archive)
    assert uids(
        web.search_for_studies(search_filters={"PatientName": "compressed*"}), "00100020"
    ) == ["1CT1"]  # case-insensitive PN, as configured
    everything = uids(web.search_for_studies(), "0020000D")
    listed = web.search_for_studies(search_filters={"StudyInstanceUID": ",".join(everything[:2])})
    assert uids(listed, "0020000D") == everything[:2]
    by_tag = web.search_for_studies(search_filters={"00100020": "1CT1"})
    assert len(by_tag) == 1
    dated = web.search_for_studies(search_filters={"StudyDate": "20040101-20041231"})
    assert uids(dated, "00100020") == ["1CT1"]


def test_qido_pages_with_limit_and_offset_and_says_when_more_matched(archive):
    base = f"{archive.admin_url}/dicom-web/studies"
    first = requests.get(base, params={"limit": 2}, timeout=10)
    assert first.status_code == 200
    assert len(first.json()) == 2
    assert "offset=2" in first.headers["Warning"]
    rest = requests.get(base, params={"limit": 10, "offset": 2}, timeout=10)
    assert "Warning" not in rest.headers
    seen = [r["0020000D"]["Value"][0] for r in first.json() + rest.json()]
    assert sorted(seen) == uids(client(archive).search_for_studies(), "0020000D")


def test_qido_includefield_adds_attributes_and_all_adds_every_indexed_one(archive):
    web = client(archive)
    [study] = web.search_for_studies(search_filters={"PatientID": "1CT1"}, fields=["PatientAge"])
    assert "00101010" in study  # PatientAge, not a default
    assert "00080062" not in study
    [everything] = web.search_for_studies(search_filters={"PatientID": "1CT1"}, fields=["all"])
    assert everything["00080062"]["Value"] == ["1.2.840.10008.5.1.4.1.1.2"]  # SOPClassesInStudy


def test_no_match_is_200_and_an_empty_array(archive):
    response = requests.get(
        f"{archive.admin_url}/dicom-web/studies", params={"PatientID": "NOBODY"}, timeout=10
    )
    assert (response.status_code, response.json()) == (200, [])


def test_wado_sends_the_stored_bytes_as_they_are_with_transfer_syntax_star(archive):
    stored = (TEST_FILES / "CT_small.dcm").read_bytes()
    original = dcmread(TEST_FILES / "CT_small.dcm")
    [instance] = client(archive).retrieve_study(
        original.StudyInstanceUID, media_types=(("application/dicom", "*"),)
    )
    assert instance.SOPInstanceUID == original.SOPInstanceUID
    assert archive.archive.instance_part10(original.SOPInstanceUID) == stored


def test_wado_default_is_explicit_vr_little_endian_decompressing_as_c_move_does(emulator):
    emulator.archive.import_instance((TEST_FILES / "MR_small_RLE.dcm").read_bytes())
    original = dcmread(TEST_FILES / "MR_small_RLE.dcm")
    [instance] = client(emulator).retrieve_study(original.StudyInstanceUID)
    assert instance.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert (instance.pixel_array == original.pixel_array).all()


def test_wado_refuses_a_compressed_syntax_it_would_have_to_encode_406(emulator):
    emulator.archive.import_instance((TEST_FILES / "CT_small.dcm").read_bytes())
    study = dcmread(TEST_FILES / "CT_small.dcm").StudyInstanceUID
    response = requests.get(
        f"{emulator.admin_url}/dicom-web/studies/{study}",
        headers={
            "Accept": 'multipart/related; type="application/dicom";'
            " transfer-syntax=1.2.840.10008.1.2.4.50"
        },
        timeout=10,
    )
    assert response.status_code == 406
    assert "transfer-syntax=*" in response.json()["detail"]


def test_wado_retrieves_fabricated_series_as_synthesized(archive):
    expected = synthesize(SPEC, Position(0, 0, 1, 0))
    web = client(archive)
    instances = web.retrieve_series(
        expected.StudyInstanceUID,
        expected.SeriesInstanceUID,
        media_types=(("application/dicom", "*"),),
    )
    assert sorted(i.SOPInstanceUID for i in instances) == sorted(
        [expected.SOPInstanceUID, synthesize(SPEC, Position(0, 0, 1, 1)).SOPInstanceUID]
    )


def test_metadata_points_to_pixel_data_as_bulk_data_that_can_be_retrieved(archive):
    original = dcmread(TEST_FILES / "CT_small.dcm")
    web = client(archive)
    [metadata] = web.retrieve_study_metadata(original.StudyInstanceUID)
    assert metadata["00100020"]["Value"] == ["1CT1"]
    uri = metadata["7FE00010"]["BulkDataURI"]
    assert uri.startswith(f"{archive.admin_url}/dicom-web/studies/")
    assert web.retrieve_bulkdata(uri, media_types=("application/octet-stream",))[0] == bytes(
        original.PixelData
    )


def test_frames_of_a_multi_frame_instance_are_its_pixel_data_in_slices(archive):
    us = next(
        synthesize(SPEC, Position(p, s, se, 0))
        for p in range(2)
        for s in range(2)
        for se in range(2)
        if synthesize(SPEC, Position(p, s, se, 0)).Modality == "US"
    )
    web = client(archive)
    frames = web.retrieve_instance_frames(
        us.StudyInstanceUID,
        us.SeriesInstanceUID,
        us.SOPInstanceUID,
        [2, 5],
        media_types=("application/octet-stream",),
    )
    us.decompress() if us.file_meta.TransferSyntaxUID.is_compressed else None
    size = len(us.PixelData) // int(us.NumberOfFrames)
    assert frames == [us.PixelData[size : 2 * size], us.PixelData[4 * size : 5 * size]]


def test_stow_stores_real_world_files_that_c_find_then_finds(emulator):
    files = [dcmread(TEST_FILES / name) for name in ("CT_small.dcm", "MR_small.dcm")]
    answer = client(emulator).store_instances(files)
    stored = answer.ReferencedSOPSequence
    assert sorted(i.ReferencedSOPInstanceUID for i in stored) == sorted(
        f.SOPInstanceUID for f in files
    )
    assert "FailedSOPSequence" not in answer
    assert stored[0].RetrieveURL.startswith(f"{emulator.admin_url}/dicom-web/studies/")
    assert len(dimse(emulator, "STUDY", StudyInstanceUID="")) == 2


def test_stow_to_a_study_refuses_an_instance_of_another_study_409_a900(emulator):
    ct = dcmread(TEST_FILES / "CT_small.dcm")
    with pytest.raises(requests.HTTPError) as caught:
        client(emulator).store_instances([ct], study_instance_uid="1.2.3.4")
    response = caught.value.response
    assert response.status_code == 409
    [failed] = response.json()["00081198"]["Value"]  # FailedSOPSequence
    assert failed["00081197"]["Value"] == [0xA900]  # FailureReason
    assert failed["00081155"]["Value"] == [ct.SOPInstanceUID]
    assert emulator.index.counts()["instances"] == 0


def test_stow_stores_the_good_parts_and_fails_the_bad_one_202(emulator):
    good = (TEST_FILES / "CT_small.dcm").read_bytes()
    body = (
        b"--b\r\nContent-Type: application/dicom\r\n\r\n"
        + good
        + b"\r\n--b\r\nContent-Type: application/dicom\r\n\r\nnot DICOM at all\r\n--b--\r\n"
    )
    response = requests.post(
        f"{emulator.admin_url}/dicom-web/studies",
        data=body,
        headers={"Content-Type": 'multipart/related; type="application/dicom"; boundary=b'},
        timeout=10,
    )
    assert response.status_code == 202
    answer = response.json()
    assert len(answer["00081199"]["Value"]) == 1  # ReferencedSOPSequence
    [failed] = answer["00081198"]["Value"]
    assert failed["00081197"]["Value"] == [0xC000]
    assert emulator.index.counts()["instances"] == 1


@pytest.mark.parametrize(
    ("path", "params", "headers", "status", "says"),
    [
        ("/studies", {"PatientNam": "X"}, {}, 400, "neither a DICOM keyword"),
        ("/studies", {"limit": "ten"}, {}, 400, "whole number"),
        ("/studies", {}, {"Accept": "application/dicom+xml"}, 406, "application/dicom+json"),
        ("/studies/1.2.abc", {}, {}, 400, "not valid"),
        ("/studies/1.2.3/metadata", {}, {}, 404, "no study"),
        ("/studies/1.2.3/series/4.5/instances/6.7/frames/0", {}, {}, 400, "frame numbers"),
        ("/studies/1.2.3/series/4.5/instances/6.7/bulkdata/xyz", {}, {}, 400, "hex digits"),
    ],
)
def test_bad_requests_get_a_clear_4xx(emulator, path, params, headers, status, says):
    response = requests.get(
        f"{emulator.admin_url}/dicom-web{path}", params=params, headers=headers, timeout=10
    )
    assert response.status_code == status
    assert says in response.json()["detail"]


def test_stow_of_anything_but_dicom_parts_is_415(emulator):
    response = requests.post(
        f"{emulator.admin_url}/dicom-web/studies",
        data=b"{}",
        headers={"Content-Type": 'multipart/related; type="application/dicom+json"; boundary=b'},
        timeout=10,
    )
    assert response.status_code == 415
    assert "not supported" in response.json()["detail"]


def test_an_unsupported_parameter_gets_a_warning_not_an_error(archive):
    response = requests.get(
        f"{archive.admin_url}/dicom-web/studies",
        params={"PatientID": "1CT1", "fuzzymatching": "true", "BitsAllocated": "16"},
        timeout=10,
    )
    assert response.status_code == 200
    assert "fuzzymatching is not supported" in response.headers["Warning"]
    assert "BitsAllocated is not a matching key" in response.headers["Warning"]


def test_an_instance_stored_by_dicomweb_is_kept_byte_for_byte_as_posted(emulator):
    ds = dcmread(TEST_FILES / "MR_small.dcm")
    posted = BytesIO()
    dcmwrite(posted, ds)  # what dicomweb-client sends for it

    client(emulator).store_instances([ds])

    assert emulator.archive.instance_part10(ds.SOPInstanceUID) == posted.getvalue()
    found = dimse(
        emulator,
        "IMAGE",
        StudyInstanceUID=ds.StudyInstanceUID,
        SeriesInstanceUID=ds.SeriesInstanceUID,
        SOPInstanceUID="",
    )
    assert found == [ds.SOPInstanceUID]


def test_every_request_is_journaled_with_what_was_asked_and_answered(archive):
    web = client(archive)
    web.search_for_studies(search_filters={"PatientID": "1CT1"})
    requests.get(f"{archive.admin_url}/dicom-web/studies/1.2.3/metadata", timeout=10)
    ct = dcmread(TEST_FILES / "CT_small.dcm")
    web.retrieve_study(ct.StudyInstanceUID, media_types=(("application/dicom", "*"),))

    journal = requests.get(
        f"{archive.admin_url}/api/journal", params={"kind": "http"}, timeout=10
    ).json()["entries"]
    search, missing, retrieve = journal[-3:]
    assert (search["service"], search["status"], search["matches"]) == ("QIDO-RS", 200, 1)
    assert search["query"] == "PatientID=1CT1"
    assert (missing["service"], missing["status"], missing["outcome"]) == (
        "WADO-RS",
        404,
        "failure",
    )
    assert "no study" in missing["detail"]
    assert (retrieve["service"], retrieve["matches"]) == ("WADO-RS", 1)
    assert retrieve["bytes_out"] > len((TEST_FILES / "CT_small.dcm").read_bytes())
    assert "transfer-syntax=*" in retrieve["accept"]
    stows = requests.get(
        f"{archive.admin_url}/api/journal/count",
        params={"kind": "http", "service": "STOW-RS"},
        timeout=10,
    ).json()
    assert stows["count"] == 0


def test_qido_matches_a_key_inside_a_sequence(emulator):
    ds = dcmread(TEST_FILES / "CT_small.dcm")
    item = Dataset()
    item.ScheduledProcedureStepID = "SPS-42"
    item.RequestedProcedureID = "RP-1"
    ds.RequestAttributesSequence = [item]
    emulator.archive.import_instance(part10(ds))
    web = client(emulator)

    found = web.search_for_series(
        search_filters={"RequestAttributesSequence.ScheduledProcedureStepID": "SPS-42"}
    )
    assert uids(found, "0020000E") == [ds.SeriesInstanceUID]
    none = web.search_for_series(
        search_filters={"RequestAttributesSequence.ScheduledProcedureStepID": "SPS-7"}
    )
    assert none == []


def test_stow_takes_a_boundary_longer_than_rfc_2046s_70_characters(emulator):
    """Orthanc's DICOMweb plugin sends 73; aiohttp alone would refuse it."""
    boundary = "0ecc07ed-dfe3-4610-985f-b3aa58f1a2ba-0ecc07ed-dfe3-4610-985f-b3aa58f1a2ba"
    body = (
        f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode()
        + (TEST_FILES / "CT_small.dcm").read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = requests.post(
        f"{emulator.admin_url}/dicom-web/studies",
        data=body,
        headers={
            "Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}'
        },
        timeout=10,
    )
    assert response.status_code == 200
    assert emulator.index.counts()["instances"] == 1


def test_delete_removes_an_instance_a_series_or_a_study_for_qido_and_dimse_alike(archive):
    first = synthesize(SPEC, Position(0, 0, 0, 0))
    base = f"{archive.admin_url}/dicom-web/studies/{first.StudyInstanceUID}"
    instance = f"{base}/series/{first.SeriesInstanceUID}/instances/{first.SOPInstanceUID}"
    assert requests.delete(instance, timeout=10).status_code == 204
    assert requests.delete(instance, timeout=10).status_code == 404
    web = client(archive)
    assert len(web.search_for_instances(first.StudyInstanceUID)) == 3
    assert (
        requests.delete(f"{base}/series/{first.SeriesInstanceUID}", timeout=10).status_code == 204
    )
    assert len(web.search_for_instances(first.StudyInstanceUID)) == 2
    assert requests.delete(base, timeout=10).status_code == 204
    assert first.StudyInstanceUID not in dimse(archive, "STUDY", StudyInstanceUID="")
    assert (
        requests.delete(f"{archive.admin_url}/dicom-web/studies/1.2.x", timeout=10).status_code
        == 400
    )
