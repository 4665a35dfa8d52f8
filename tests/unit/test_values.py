"""Normalized TM/DT/PN forms: what indexing and matching agree on."""

import pytest

from storage.values import dt_norm, encodable, pn_alpha, pn_norm, tm_norm


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


@pytest.mark.parametrize(
    ("text", "charset", "fits"),
    [
        ("MÜLLER^RENÉ", "ISO_IR 100", True),
        ("Иванова^Анна", "ISO_IR 100", False),
        ("Иванова^Анна", "ISO_IR 144", True),
        ("Yamada^Tarou=山田^太郎", ["", "ISO 2022 IR 87"], True),
        ("Yamada^Tarou=山田^太郎", "\\ISO 2022 IR 87", True),
        ("李^瑞妍", ["", "ISO 2022 IR 149"], False),  # 妍 is not in KS X 1001
        ("anything at all", "", True),
    ],
)
def test_encodable_says_whether_a_character_set_holds_every_character(text, charset, fits):
    assert encodable(text, charset) is fits
