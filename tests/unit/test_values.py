"""Normalized TM/DT/PN forms: what indexing and matching agree on."""

import pytest

from storage.values import dt_norm, pn_alpha, pn_norm, tm_norm


@pytest.mark.parametrize(
    ("value", "low", "high"),
    [
        ("10", "100000.000000", "105959.999999"),
        ("1030", "103000.000000", "103059.999999"),
        ("103015.5", "103015.500000", "103015.599999"),
        ("10:30:15", "103015.000000", "103015.999999"),
    ],
)
def test_partial_times_span_their_period(value, low, high):
    assert tm_norm(value) == low
    assert tm_norm(value, upper=True) == high


def test_datetime_is_padded_and_offsets_ignored():
    assert dt_norm("2020") == "20200101000000.000000"
    assert dt_norm("2020", upper=True) == "20201231235959.999999"
    assert dt_norm("20200102030405+0100") == "20200102030405.000000"


def test_person_names_drop_insignificant_trailing_parts():
    assert pn_norm("SMITH^JOHN^^^") == "SMITH^JOHN"
    assert pn_alpha("Yamada^Tarou=山田^太郎=やまだ^たろう") == "Yamada^Tarou"
    assert pn_norm("A^B==") == "A^B"
