"""What a service-applied action means for the results (emulator/scenario/modifiers.py)."""

from __future__ import annotations

import random

from emulator.scenario.engine import Decision
from emulator.scenario.modifiers import FindShape, retrieve_failures


def test_truncate_ends_the_matches_after_n_with_its_status():
    shape = FindShape.of(Decision("cut", "truncate", {"after": 2, "status": "0xA700"}))
    assert [shape.cut(n) for n in (1, 2, 3)] == [False, False, True]
    assert shape.truncate_status == 0xA700


def test_duplicate_sends_the_chosen_match_again():
    shape = FindShape.of(Decision("twice", "duplicate", {"index": 2, "times": 3}))
    assert [shape.copies(n) for n in (1, 2, 3)] == [1, 4, 1]
    assert FindShape.of(None).copies(1) == 1
    assert not FindShape.of(None).cut(10**6)


def test_fail_suboperations_by_index_by_period_and_by_a_seeded_ratio():
    by_index = retrieve_failures(Decision("f", "fail_suboperations", {"indexes": [1, 3]}))
    every = retrieve_failures(Decision("f", "fail_suboperations", {"every": 2}))
    assert [by_index(n) for n in (1, 2, 3)] == [True, False, True]
    assert [every(n) for n in (1, 2, 3, 4)] == [False, True, False, True]

    def drawn() -> list[bool]:
        decision = Decision("f", "fail_suboperations", {"ratio": 0.5}, rng=random.Random(7))
        fails = retrieve_failures(decision)
        return [fails(n) for n in range(1, 41)]

    assert drawn() == drawn()  # the same seed fails the same sub-operations
    assert 5 < sum(drawn()) < 35
    assert not any(retrieve_failures(None)(n) for n in range(1, 10))
