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
