"""``serve`` listens for DICOM before the archive is open: a C-ECHO is answered at once, and
a request that needs the archive waits for it and is answered as if it had come later. A
start that fails once the listener is up answers what waited with an error, never a hang.
The journal numbers what it records meanwhile after the records the archive holds."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydicom.dataset import Dataset
from pynetdicom import AE
from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind as StudyFind
from pynetdicom.sop_class import Verification

from emulator import Emulator
from emulator.errors import StartupError
from emulator.journal import RequestJournal
from emulator.pending import NotStarted, Provision
from storage.index import Index
from tests.conftest import make_config
from tests.helpers import wait_until


class HeldIndex:
    """``Index.open`` held until released, as a slow disk would hold it."""

    def __init__(self) -> None:
        self.opening = threading.Event()
        self.release = threading.Event()
        self.error: Exception | None = None


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldIndex]:
    hold = HeldIndex()
    real = Index.open

    def open_held(cls: type[Index], path: Path, durable: bool = False) -> Index:
        hold.opening.set()
        hold.release.wait(10)
        if hold.error is not None:
            raise hold.error
        return real(path, durable)

    monkeypatch.setattr(Index, "open", classmethod(open_held))
    yield hold
    hold.release.set()


def _starting(emulator: Emulator) -> threading.Thread:
    thread = threading.Thread(target=lambda: _start(emulator), daemon=True)
    thread.start()
    return thread


def _start(emulator: Emulator) -> None:
    # the spec that makes it fail reads the outcome from the wire
    with contextlib.suppress(StartupError):
        emulator.start()


def _associate(port: int):  # type: ignore[no-untyped-def]
    ae = AE()
    ae.add_requested_context(Verification)
    ae.add_requested_context(StudyFind)
    assoc = ae.associate("127.0.0.1", port, ae_title="FABRICATOR")
    assert assoc.is_established
    return assoc


def _studies() -> Dataset:
    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.StudyInstanceUID = ""
    return query


def test_a_c_echo_is_answered_while_the_archive_opens_and_a_c_find_waits_for_it(tmp_path, held):
    emulator = Emulator(make_config(tmp_path / "data", storage__empty=False))  # the demo
    starting = _starting(emulator)
    assert held.opening.wait(10)
    assoc = _associate(emulator.dicom_port)
    try:
        assert assoc.send_c_echo().Status == 0x0000
        answers: list[int] = []

        def find() -> None:
            for status, _ in assoc.send_c_find(_studies(), StudyFind):
                answers.append(status.Status)

        finder = threading.Thread(target=find)
        finder.start()
        assert wait_until(lambda: emulator.journal.messages(service="C-FIND"))
        assert finder.is_alive()  # waiting for the archive
        assert not answers
        held.release.set()
        finder.join(10)
        starting.join(10)
        assert answers == [0xFF00] * 3 + [0x0000]  # the demo archive's three studies
        echo, found = emulator.journal.messages()
        assert (echo.status, found.status, found.matches) == (0x0000, 0x0000, 3)
    finally:
        assoc.release()
        emulator.stop()


def test_a_start_that_fails_after_listening_answers_what_waited_with_an_error(tmp_path, held):
    emulator = Emulator(make_config(tmp_path / "data"))
    starting = _starting(emulator)
    assert held.opening.wait(10)
    assoc = _associate(emulator.dicom_port)
    answers: list[int] = []

    def find() -> None:
        for status, _ in assoc.send_c_find(_studies(), StudyFind):
            answers.append(status.Status if status else -1)

    finder = threading.Thread(target=find)
    finder.start()
    assert wait_until(lambda: emulator.journal.messages(service="C-FIND"))
    held.error = OSError("the disk went away")
    held.release.set()
    starting.join(10)
    finder.join(10)
    assert not finder.is_alive()
    assert answers == [0xA700]  # out of resources: the archive never opened
    (found,) = emulator.journal.messages(service="C-FIND")
    assert found.outcome == "failure"  # one log line, no traceback (not "error")
    assert "did not start: cannot use data directory" in found.detail
    assert not assoc.is_established
    assert not (tmp_path / "data").exists()  # a failed start leaves no data directory


def test_what_is_recorded_before_the_archive_opens_is_numbered_after_what_it_holds() -> None:
    class Sink:
        def __init__(self, last: int) -> None:
            self.last = last

        def last_id(self) -> int:
            return self.last

        def write(self, records: object) -> None:
            pass

    journal = RequestJournal()
    journal.start_after(41)
    early = journal.open_association("127.0.0.1:1")
    journal.attach(Sink(41))  # type: ignore[arg-type]
    later = journal.open_association("127.0.0.1:2")
    journal.detach()

    assert (early.id, later.id) == (42, 43)

    fresh = RequestJournal()
    fresh.attach(Sink(7))  # type: ignore[arg-type]
    assert fresh.open_association("127.0.0.1:3").id == 8


def test_a_pending_store_waits_for_its_object_or_says_the_start_failed() -> None:
    provision = Provision()
    index = provision.pending("index")
    seen: list[object] = []
    reader = threading.Thread(target=lambda: seen.append(index.upper()))  # type: ignore[attr-defined]
    reader.start()
    provision.provide(index="archive")
    reader.join(5)
    assert seen == ["ARCHIVE"]

    failed = Provision()
    failed.fail("cannot use data directory x: read-only")
    with pytest.raises(NotStarted, match="did not start: cannot use data directory x"):
        failed.pending("files").write  # noqa: B018


def test_a_restarted_archive_numbers_its_new_records_after_the_ones_it_kept(tmp_path) -> None:
    ids: list[int] = []
    kept = None
    for _ in range(2):
        with Emulator(make_config(tmp_path / "data")) as emulator:
            if ids:
                kept = emulator.journal.get(ids[0])  # the first serve's record, from the index
            assoc = _associate(emulator.dicom_port)
            assert assoc.send_c_echo().Status == 0x0000
            assoc.release()
            assert wait_until(lambda: emulator.journal.associations(outcome="released"))
            ids.extend(r.id for r in emulator.journal.associations())
    first, second = ids
    assert second > first
    assert kept is not None
    assert kept["outcome"] == "released"
