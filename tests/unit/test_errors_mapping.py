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


def test_every_surface_tells_bad_input_from_a_bug_the_same_way():
    """Bad input, refusals and disk trouble are expected (a status and one log line); a
    Python error of the emulator's own is a bug (a traceback, journaled as "error")."""
    from pydicom.errors import InvalidDicomError

    from emulator.errors import InvalidWorklistItem, UnknownMoveDestination, is_expected
    from storage import InvalidInstance, StorageFull

    expected = [
        InvalidInstance("SOPInstanceUID missing", tag=0x00080018),
        StorageFull("data directory is full"),
        InvalidDicomError("not DICOM"),
        ValueError("bad value"),
        OSError(28, "No space left on device"),
        InvalidWorklistItem("item 0 is not a DICOM JSON object"),
        UnknownMoveDestination("move destination 'X' unknown", "X"),
    ]
    bugs = [KeyError("x"), AttributeError("x"), TypeError("x"), RuntimeError("x")]
    assert all(is_expected(exc) for exc in expected)
    assert not any(is_expected(exc) for exc in bugs)
