"""The admin API's OpenAPI document is the API: generated from the route table, and
schemathesis finds no answer of the live API that contradicts it, nor a server error."""

from __future__ import annotations

import json
import os
import urllib.request

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from emulator.admin.app import ROUTES, needed_role
from emulator.admin.openapi import document

DOCUMENT = document(ROUTES, needed_role)
# Not fuzzed: shutdown ends the emulator, fabricate with generated sizes would fabricate
# for hours, a generated wait holds for up to 300 s, and schemathesis cannot write
# application/dicom bodies, and a live stream never ends; their own specs cover them.
schema = (
    schemathesis.openapi.from_dict(DOCUMENT)
    .exclude(path=["/api/shutdown", "/api/fabricate", "/api/journal/wait", "/api/journal/stream"])
    .exclude(method="POST", path="/api/instances")
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_every_route_is_an_operation_and_the_live_document_is_the_same(emulator):
    operations = {
        (method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item
    }
    assert operations == {(method, path) for method, path, _, _ in ROUTES}
    with urllib.request.urlopen(emulator.admin_url + "/api/openapi.json", timeout=5) as r:
        assert json.load(r) == DOCUMENT


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("FABRICATOR_FUZZ_EXAMPLES", "15")),
    derandomize="FABRICATOR_FUZZ_EXAMPLES" not in os.environ,  # the same cases in every CI run
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_live_api_answers_as_its_document_says(case, emulator):
    case.call_and_validate(base_url=emulator.admin_url, checks=CHECKS)
