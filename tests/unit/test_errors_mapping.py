"""The DIMSE status table agrees with pynetdicom's per-service status tables (PS3.4)."""

import pytest
from pynetdicom.status import (
    QR_FIND_SERVICE_CLASS_STATUS,
    STORAGE_SERVICE_CLASS_STATUS,
)

from emulator import errors
from storage import InvalidIdentifier, InvalidInstance, StorageFull, UnreadableInstance


@pytest.mark.parametrize(
    ("service", "table"),
    [("C-STORE", STORAGE_SERVICE_CLASS_STATUS), ("C-FIND", QR_FIND_SERVICE_CLASS_STATUS)],
)
def test_every_mapped_status_is_a_failure_status_of_its_service(service, table):
    for (svc, _), status in errors.STATUS_TABLE.items():
        if svc == service:
            in_range = 0xC000 <= status <= 0xCFFF  # "Unable to process / Cannot understand"
            assert status in table or in_range, hex(status)
            if status in table:
                assert table[status][0] == "Failure"


@pytest.mark.parametrize(
    ("service", "exc", "status"),
    [
        ("C-STORE", UnreadableInstance("x"), 0xC000),
        ("C-STORE", InvalidInstance("x"), 0xA900),
        ("C-STORE", StorageFull("x"), 0xA700),
        ("C-STORE", OSError(28, "No space left"), 0xA700),
        ("C-STORE", RuntimeError("bug"), 0xC000),
        ("C-FIND", InvalidIdentifier("x"), 0xA900),
        ("C-FIND", RuntimeError("bug"), 0xC000),
    ],
)
def test_status_for_picks_the_most_specific_mapping(service, exc, status):
    assert errors.status_for(service, exc) == status


def test_error_comment_fits_lo():
    comment = errors.error_comment("x" * 100 + "\\y")
    assert len(comment) == 64
    assert "\\" not in errors.error_comment("a\\b")
