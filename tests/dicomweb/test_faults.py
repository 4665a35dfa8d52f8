"""Scenario rules at the http phase: what a viewer sees when the archive is slow, full, flaky
or rude over DICOMweb, and what the journal says about it."""

from __future__ import annotations

import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from pydicom import dcmread

from emulator.scenario.loader import ScenarioError, parse
from storage.fabricate import synthesize
from storage.fabrication_spec import FabricationSpec, Position
from tests.helpers import PYDICOM_DATA

TEST_FILES = PYDICOM_DATA / "test_files"
TWO_PER_SERIES = FabricationSpec(
    seed=3,
    patients=1,
    studies_per_patient=1,
    series_per_study=1,
    instances_per_series=2,
    modalities=("CT",),
    matrix=16,
)
FILES = ("CT_small.dcm", "MR_small.dcm", "rtplan.dcm")


@pytest.fixture
def archive(emulator):
    for name in FILES:
        emulator.archive.import_instance((TEST_FILES / name).read_bytes())
    return emulator


def rules(emulator, *lines: str) -> None:
    emulator.load_scenario("name: web\nrules:\n" + "\n".join(lines) + "\n")


def studies(emulator, **params) -> requests.Response:
    return requests.get(f"{emulator.admin_url}/dicom-web/studies", params=params, timeout=10)


def journal(emulator) -> list[dict]:
    return requests.get(
        f"{emulator.admin_url}/api/journal", params={"kind": "http"}, timeout=10
    ).json()["entries"]


def test_a_status_rule_answers_503_with_retry_after_once_then_the_archive_answers(archive):
    rules(
        archive,
        "  - id: busy",
        "    match: {phase: http, service: QIDO-RS}",
        "    times: 1",
        "    action: {http_status: {code: 503, retry_after: 2}}",
    )
    busy = studies(archive)
    assert (busy.status_code, busy.headers["Retry-After"]) == (503, "2")
    assert "scenario rule busy" in busy.json()["detail"]
    assert studies(archive).status_code == 200
    first, second = journal(archive)[-2:]
    assert (first["status"], first["faults"]) == (503, ["busy:http_status"])
    assert (second["status"], second["faults"]) == (200, [])


def test_a_rule_matches_on_method_path_glob_query_and_accept(archive):
    rules(
        archive,
        "  - match: {phase: http, method: GET, path: /studies/*/metadata,"
        " accept: '*json*', query: {includefield: {present: true}}}",
        "    action: {http_status: {code: 418, body: teapot, content_type: text/plain}}",
    )
    study = dcmread(TEST_FILES / "CT_small.dcm").StudyInstanceUID
    base = f"{archive.admin_url}/dicom-web/studies/{study}/metadata"
    assert requests.get(base, timeout=10).status_code == 200  # no includefield
    hit = requests.get(
        base, params={"includefield": "all"}, headers={"Accept": "application/json"}, timeout=10
    )
    assert (hit.status_code, hit.text, hit.headers["Content-Type"]) == (418, "teapot", "text/plain")


def test_a_delay_holds_the_answer_for_as_long_as_the_rule_says(archive):
    rules(archive, "  - match: {phase: http, service: QIDO-RS}", "    action: {delay: {ms: 300}}")
    assert studies(archive).status_code == 200
    assert journal(archive)[-1]["ms"] >= 300


def test_truncate_and_duplicate_change_a_qido_answer_silently(archive):
    rules(
        archive,
        "  - match: {phase: http, service: QIDO-RS, query: {limit: {equals: '10'}}}",
        "    action: {truncate: {after: 1}}",
        "  - match: {phase: http, service: QIDO-RS}",
        "    action: {duplicate: {index: 2, times: 2}}",
    )
    short = studies(archive, limit="10")
    assert len(short.json()) == 1
    assert "Warning" not in short.headers
    doubled = [r["0020000D"]["Value"][0] for r in studies(archive).json()]
    assert len(doubled) == 5
    assert doubled[1] == doubled[2] == doubled[3]


def test_a_multipart_answer_loses_or_repeats_a_part(emulator):
    emulator.archive.fabricate(TWO_PER_SERIES)
    first = synthesize(TWO_PER_SERIES, Position(0, 0, 0, 0))
    web = DICOMwebClient(f"{emulator.admin_url}/dicom-web")
    rules(
        emulator,
        "  - match: {phase: http, service: WADO-RS}",
        "    times: 1",
        "    action: {drop_part: {part: 1}}",
        "  - match: {phase: http, service: WADO-RS}",
        "    action: {duplicate: {index: 2}}",
    )
    series = (first.StudyInstanceUID, first.SeriesInstanceUID)
    assert len(web.retrieve_series(*series)) == 1
    again = [i.SOPInstanceUID for i in web.retrieve_series(*series)]
    assert len(again) == 3
    assert again[1] == again[2] != again[0]


def test_a_wrong_content_type_reaches_the_client_as_given(archive):
    ct = dcmread(TEST_FILES / "CT_small.dcm")
    wrong = 'multipart/related; type="application/dicom"; boundary=not-the-one'
    rules(
        archive,
        "  - match: {phase: http, service: WADO-RS}",
        f"    action: {{content_type: {{value: '{wrong}'}}}}",
    )
    answer = requests.get(
        f"{archive.admin_url}/dicom-web/studies/{ct.StudyInstanceUID}", timeout=10
    )
    assert answer.headers["Content-Type"] == wrong
    assert b"--not-the-one" not in answer.content


def test_close_after_n_bytes_cuts_a_retrieve_mid_multipart_and_the_journal_says_so(archive):
    ct = dcmread(TEST_FILES / "CT_small.dcm")
    rules(
        archive,
        "  - id: cut",
        "    match: {phase: http, service: WADO-RS}",
        "    action: {close: {after_bytes: 1000}}",
    )
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(f"{archive.admin_url}/dicom-web/studies/{ct.StudyInstanceUID}", timeout=10)
    assert archive.journal.wait_for(lambda: journal(archive)[-1]["outcome"] != "open")
    record = journal(archive)[-1]
    assert (record["outcome"], record["faults"]) == ("aborted", ["cut:close"])
    assert studies(archive).status_code == 200  # others are still served


@pytest.mark.parametrize("mode", ["fin", "reset"])
def test_close_at_once_gives_the_client_no_answer_at_all(archive, mode):
    rules(
        archive,
        "  - match: {phase: http, service: QIDO-RS}",
        f"    action: {{close: {{mode: {mode}}}}}",
    )
    with pytest.raises(requests.exceptions.ConnectionError):
        studies(archive)


def test_a_hang_says_nothing_then_closes(archive):
    rules(archive, "  - match: {phase: http, service: QIDO-RS}", "    action: {hang: {ms: 200}}")
    with pytest.raises(requests.exceptions.ConnectionError):
        studies(archive)
    assert archive.journal.wait_for(lambda: journal(archive)[-1]["outcome"] == "aborted")
    assert journal(archive)[-1]["ms"] >= 200


def test_a_throttle_paces_the_answer(archive):
    ct = dcmread(TEST_FILES / "CT_small.dcm")
    rules(
        archive,
        "  - match: {phase: http, service: WADO-RS}",
        "    action: {throttle: {bytes_per_s: 100000}}",
    )
    answer = requests.get(
        f"{archive.admin_url}/dicom-web/studies/{ct.StudyInstanceUID}",
        headers={"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'},
        timeout=10,
    )
    assert answer.status_code == 200
    assert len(answer.content) > 39000
    assert journal(archive)[-1]["ms"] >= 1000 * 39000 / 100000 * 0.9


@pytest.mark.parametrize(
    ("rule", "field", "words"),
    [
        ("{phase: http}\n    action: {status: {code: 0xA700}}", "action.status", "http phase"),
        ("{phase: http}\n    action: {truncate: {after: 1}}", "match.service", "QIDO-RS"),
        ("{phase: http, dataset: {PatientID: X}}\n    action: {pass: {}}", "match.dataset", "http"),
        (
            "{phase: http, service: C-FIND}\n    action: {pass: {}}",
            "match.service",
            "no http phase",
        ),
        ("{phase: request, service: QIDO-RS}\n    action: {pass: {}}", "match.service", "request"),
        (
            "{phase: request}\n    action: {http_status: {code: 500}}",
            "action.http_status",
            "request",
        ),
    ],
)
def test_a_rule_that_could_never_act_at_the_http_phase_is_a_problem(rule, field, words):
    with pytest.raises(ScenarioError) as raised:
        parse(f"name: x\nrules:\n  - match: {rule}\n", "web.yaml")
    assert any(field in p.field and words in p.message for p in raised.value.problems), [
        str(p) for p in raised.value.problems
    ]
