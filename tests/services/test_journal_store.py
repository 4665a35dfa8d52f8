"""The journal's cap in memory, and its records persisted in the index."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from emulator import Emulator
from tests.conftest import make_config
from tests.helpers import associate, wait_until


def echo(emulator, times: int) -> None:
    assoc = associate(emulator.dicom_port)
    for _ in range(times):
        assoc.send_c_echo()
    assoc.release()


def entry(emulator, record_id: int) -> dict:
    url = f"{emulator.admin_url}/api/journal/{record_id}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def test_records_past_the_cap_stay_readable_by_id(tmp_path):
    with Emulator(make_config(tmp_path / "d", journal__max_entries=3)) as emulator:
        echo(emulator, 5)
        messages = emulator.journal.messages(service="C-ECHO")
        assert len(messages) == 3  # the newest, in memory
        oldest = messages[0].id - 1
        assert wait_until(lambda: _persisted(emulator, oldest))
        assert entry(emulator, oldest)["service"] == "C-ECHO"  # from the index
        assert entry(emulator, oldest)["kind"] == "message"


def _persisted(emulator, record_id: int) -> bool:
    try:
        entry(emulator, record_id)
    except urllib.error.HTTPError:
        return False
    return True


def test_the_journal_survives_a_restart_and_ids_go_on(tmp_path):
    config = make_config(tmp_path / "d")
    with Emulator(config) as emulator:
        echo(emulator, 2)
        [first, second] = emulator.journal.messages(service="C-ECHO")
    with Emulator(config) as emulator:
        assert emulator.journal.messages() == []  # memory starts empty
        assert entry(emulator, second.id)["status"] == "0x0000"
        assert entry(emulator, first.id)["calling_ae"] == "TESTSCU"
        echo(emulator, 1)
        [again] = emulator.journal.messages(service="C-ECHO")
        assert again.id > second.id


def test_clearing_the_journal_clears_what_was_persisted(emulator):
    echo(emulator, 1)
    [message] = emulator.journal.messages(service="C-ECHO")
    emulator.journal.flush()
    emulator.reset()
    with pytest.raises(urllib.error.HTTPError) as raised:
        entry(emulator, message.id)
    assert raised.value.code == 404


class MemorySink:
    """A sink that keeps what it is given and can be told to fail."""

    def __init__(self) -> None:
        self.rows: dict[int, dict] = {}
        self.fail = False

    def write(self, records) -> None:
        if self.fail:
            raise OSError("disk full")
        for row in records:  # (id, kind, JSON, started), as the journal encodes them
            self.rows[row.id] = json.loads(row.json)

    def get(self, record_id: int):
        return self.rows.get(record_id)

    def last_id(self) -> int:
        return max(self.rows, default=0)

    def clear(self) -> None:
        self.rows.clear()


class ChangingDuringCopy(dict):
    """A dict that another thread changes while the first copy of it iterates (the race is
    made certain: its first iteration fails as CPython's does in that case)."""

    copies = 0

    def items(self):
        ChangingDuringCopy.copies += 1
        if ChangingDuringCopy.copies == 1:
            raise RuntimeError("dictionary changed size during iteration")
        return super().items()


def test_a_record_changed_while_the_flusher_copies_it_is_still_persisted():
    """Service threads update a record's extra in place; a "dictionary changed size" while
    the flusher copied it used to drop the whole batch from persistence."""
    from emulator.journal import RequestJournal

    journal, sink = RequestJournal(), MemorySink()
    journal.attach(sink)
    other = journal.start_message(None, 1, "C-ECHO")
    record = journal.start_message(None, 2, "C-FIND")
    record.extra["identifier"] = ChangingDuringCopy(PatientID="P1")
    journal.flush()
    journal.detach()
    assert sorted(sink.rows) == [other.id, record.id]
    assert sink.rows[record.id]["extra"]["identifier"] == {"PatientID": "P1"}


def test_a_batch_the_sink_refuses_is_kept_for_the_next_flush():
    from emulator.journal import RequestJournal

    journal, sink = RequestJournal(), MemorySink()
    journal.attach(sink)
    record = journal.start_message(None, 1, "C-ECHO")
    sink.fail = True
    journal.flush()
    assert sink.rows == {}
    sink.fail = False
    journal.detach()  # writes what is left
    assert sink.rows[record.id]["service"] == "C-ECHO"


def test_records_made_by_many_threads_at_once_are_all_persisted_as_they_ended():
    """Request threads make and change records without a lock while the flusher copies them:
    every record is in memory once and persisted in its final state."""
    import threading

    from emulator.journal import RequestJournal

    journal, sink = RequestJournal(max_entries=100_000), MemorySink()
    journal.attach(sink)
    association = journal.open_association("127.0.0.1:1")

    def requests(worker: int) -> None:
        for n in range(500):
            record = journal.start_message(None, n, "C-STORE", sop_instance=f"{worker}.{n}")
            journal.update(record, extra={"step": "read"})
            journal.finish(record, 0, extra={"step": "stored"})

    threads = [threading.Thread(target=requests, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        journal.flush()  # as the background flusher does, racing the request threads
    journal.detach()

    messages = journal.messages(service="C-STORE")
    assert len(messages) == len({m.id for m in messages}) == 8 * 500
    persisted = [row for row in sink.rows.values() if row["kind"] == "message"]
    assert len(persisted) == 8 * 500
    bad = [row for row in persisted if row["outcome"] != "ok" or row["extra"]["step"] != "stored"]
    assert bad == []
    assert association.id in sink.rows


def test_wait_for_wakes_on_a_change_made_by_another_thread():
    import threading
    import time

    from emulator.journal import RequestJournal

    journal = RequestJournal()
    threading.Timer(0.2, lambda: journal.start_message(None, 1, "C-ECHO")).start()
    started = time.monotonic()
    assert journal.wait_for(lambda: bool(journal.messages(service="C-ECHO")), timeout=5)
    assert time.monotonic() - started < 2
