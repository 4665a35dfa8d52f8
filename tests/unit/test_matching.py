"""PS3.4 C.2.2.2 matching types, each compiled to SQL and run in SQLite over a column of values:
what a condition selects, not how its SQL is spelt."""

from __future__ import annotations

import sqlite3

import pytest

from storage.conditions import (
    bounds,
    date_range,
    integer,
    single_or_wildcard,
    time_range,
    uid_list,
)
from storage.errors import InvalidIdentifier
from storage.values import dt_norm, tm_norm


def selected(condition, values: list) -> list:
    """The *values* (one column ``x``) that *condition* selects, in order; all for None."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, x)")
    conn.executemany("INSERT INTO t (x) VALUES (?)", [(v,) for v in values])
    if condition is None:
        return values
    sql, params = condition
    return [row[0] for row in conn.execute(f"SELECT x FROM t WHERE {sql} ORDER BY n", params)]


NAMES = ["SMITH", "SMYTHE", "JONES", "SMITH[1]", ""]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", NAMES),  # universal: zero length (C.2.2.2.3)
        ("*", NAMES),  # universal: a lone asterisk
        ("SMITH", ["SMITH"]),  # single value (C.2.2.2.1)
        ("SM*", ["SMITH", "SMYTHE", "SMITH[1]"]),  # wildcard (C.2.2.2.4)
        ("SM?TH", ["SMITH"]),
        ("SMITH[1]", ["SMITH[1]"]),  # a bracket is a character, not a GLOB class
        ("JONES\\SMYTHE", ["SMYTHE", "JONES"]),  # a list matches any of its values
        ("smith", []),  # single value matching is exact for strings
    ],
)
def test_single_value_wildcard_and_universal_matching(value, expected):
    assert selected(single_or_wildcard("x", value), NAMES) == expected


UIDS = ["1.2.3", "1.2.30", "1.2.4"]


def test_uid_list_matching_is_exact_for_one_or_many():
    assert selected(uid_list("x", "1.2.3", "StudyInstanceUID"), UIDS) == ["1.2.3"]
    assert selected(uid_list("x", "1.2.3\\1.2.4", "StudyInstanceUID"), UIDS) == ["1.2.3", "1.2.4"]
    assert selected(uid_list("x", "", "StudyInstanceUID"), UIDS) == UIDS


@pytest.mark.parametrize("value", ["1.2.*", "1.02.3", "1.2.3\\x", "1." * 40 + "1"])
def test_a_wildcard_or_malformed_uid_is_refused_naming_the_key(value):
    with pytest.raises(InvalidIdentifier, match="SeriesInstanceUID"):
        uid_list("x", value, "SeriesInstanceUID")


DATES = ["20260101", "20260315", "20261231", ""]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20260315", ["20260315"]),
        ("20260201-20261231", ["20260315", "20261231"]),  # a closed range includes its ends
        ("20260315-", ["20260315", "20261231"]),  # open at the end
        ("-20260315", ["20260101", "20260315"]),  # open at the start
        ("2026.03.15", ["20260315"]),  # ACR-NEMA form
        ("", DATES),
    ],
)
def test_date_matching_single_and_ranges(value, expected):
    assert selected(date_range("x", value, "StudyDate"), DATES) == expected


@pytest.mark.parametrize("value", ["2026-03-15", "yesterday", "202603"])
def test_a_value_that_is_no_date_or_range_is_refused(value):
    with pytest.raises(InvalidIdentifier, match="StudyDate"):
        date_range("x", value, "StudyDate")


def test_a_partial_time_matches_its_whole_period():
    times = [tm_norm(t) for t in ("075959", "080000", "083015.5", "085959.999999", "090000")]
    assert selected(time_range("x", "08", "StudyTime", False), times) == times[1:4]
    assert selected(time_range("x", "0830-0900", "StudyTime", False), times) == times[2:5]


def test_a_date_time_range_is_matched_as_one_range():
    stamps = [dt_norm(v) for v in ("20260101235959", "20260102000000", "20260102120000")]
    cond = time_range("x", "20260102-20260102", "AcquisitionDateTime", True)
    assert selected(cond, stamps) == stamps[1:]
    with pytest.raises(InvalidIdentifier, match="AcquisitionDateTime"):
        time_range("x", "20-2026", "AcquisitionDateTime", True)


def test_open_bounds_never_match_an_empty_value():
    assert bounds("x", "", "") is None
    assert selected(bounds("x", "", "20260315"), DATES) == ["20260101", "20260315"]


def test_integer_matching_is_numeric():
    assert selected(integer("x", "01", "SeriesNumber"), [1, 10, 2]) == [1]
    assert integer("x", "", "SeriesNumber") is None
    with pytest.raises(InvalidIdentifier, match="SeriesNumber"):
        integer("x", "one", "SeriesNumber")
