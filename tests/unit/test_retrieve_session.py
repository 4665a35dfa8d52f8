"""How a C-MOVE or C-GET ends, decided without the wire (emulator/services/retrieve_session.py).

The DICOM responder sends what the session answers; these specs pin the decisions of PS3.4
C.4.2.1.4-5 and C.4.3.1.3 on their own: the final status from the counts, the failed UIDs
list, the refusals before any sub-operation, and the journal record the session closes.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from emulator.journal import RequestJournal
from emulator.services.retrieve_session import MAX_SUBOPERATIONS, RetrieveSession


def session_with(*outcomes: str) -> RetrieveSession:
    journal = RequestJournal()
    record = journal.start_message(None, 7, "C-MOVE")
    session = RetrieveSession(SimpleNamespace(journal=journal), record)  # type: ignore[arg-type]
    counts = session.start(len(outcomes))
    for n, outcome in enumerate(outcomes):
        counts.record(outcome, f"1.2.3.{n}")
    return session


@pytest.mark.parametrize(
    ("outcomes", "status", "comment", "failed"),
    [
        ((), 0x0000, "", None),  # no match: success, no sub-operations (C.4.2.1.4)
        (("completed", "completed"), 0x0000, "", None),
        (("completed", "warning"), 0xB000, "", None),  # a warning is not a failure
        (("completed", "failed", "failed"), 0xB000, "2 of 3 sub-operations failed", 2),
        (("failed", "failed"), 0xA702, "2 of 2 sub-operations failed", 2),
    ],
)
def test_the_final_status_follows_the_counts(outcomes, status, comment, failed):
    answer = session_with(*outcomes).final()
    assert (answer.status, answer.comment) == (status, comment)
    assert answer.with_counts
    assert (len(answer.failed_uids) if answer.failed_uids else None) == failed


def test_finishing_writes_the_counts_to_the_journal_record():
    session = session_with("completed", "failed")
    session.finish(session.final())
    record = session.record
    assert (record.status, record.outcome) == (0xB000, "failure")
    assert record.extra == {"completed": 1, "failed": 1, "warning": 0, "remaining": 0}


def test_more_matches_than_a_count_can_hold_are_refused_before_any_sub_operation():
    session = session_with()
    assert session.too_many(MAX_SUBOPERATIONS) is None
    answer = session.too_many(MAX_SUBOPERATIONS + 1)
    assert answer is not None
    assert (answer.status, answer.with_counts) == (0xA701, False)


def test_a_destination_that_refuses_fails_every_sub_operation():
    session = RetrieveSession(
        SimpleNamespace(journal=RequestJournal()),  # type: ignore[arg-type]
        RequestJournal().start_message(None, 1, "C-MOVE"),
    )
    session.start(5)
    answer = session.unable("destination DEST rejected the association")
    assert answer.status == 0xA702
    assert (session.counts.failed, session.counts.remaining) == (5, 0)


def test_a_cancel_answers_fe00_with_the_failed_uids_and_a_requestor_gone_is_not_answered():
    session = session_with("failed")
    cancel = session.cancelled()
    assert (cancel.status, cancel.failed_uids, cancel.respond) == (0xFE00, ["1.2.3.0"], True)
    assert session.requestor_gone().respond is False
