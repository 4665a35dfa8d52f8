"""UID validation per PS3.5 §9.1."""

import pytest

from storage.uids import is_valid_uid, shard, uid_problem


@pytest.mark.parametrize("uid", ["1.2.840.10008.1.2", "0", "2.25.0", "1." + "2" * 62])
def test_valid_uids(uid):
    assert is_valid_uid(uid)
    assert uid_problem(uid) is None


@pytest.mark.parametrize(
    ("uid", "problem"),
    [
        ("", "missing"),
        (None, "missing"),
        ("1.02.3", "leading zeros"),
        ("1..2", "empty component"),
        ("1.2.", "empty component"),
        ("1.2.a", "not digits and dots"),
        ("../etc/passwd", "not digits and dots"),
        ("1.2 ", "not digits and dots"),
        ("1.2.٣", "not digits and dots"),  # a non-ASCII digit
        ("1." + "2" * 63, "too long"),
    ],
)
def test_invalid_uids_name_the_rule_they_break(uid, problem):
    assert not is_valid_uid(uid)
    assert problem in uid_problem(uid)


def test_shard_is_one_of_256_hex_directories_independent_of_the_uid_text():
    assert shard("1.2.3") == shard("1.2.3")
    assert {len(shard(f"1.2.{n}")) for n in range(500)} == {2}
    assert len({shard(f"1.2.{n}") for n in range(5000)}) == 256
