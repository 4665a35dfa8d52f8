"""Local user accounts: managed with `dicom-fabricator users`, passwords hashed with argon2id,
never stored, printed or logged, and checked at the same cost whether the user exists."""

from __future__ import annotations

import io
import logging
import sqlite3

import pytest
from argon2 import PasswordHasher

from emulator import Emulator
from emulator.cli import main
from emulator.services.accounts import AccountError, Accounts, Identity
from storage.database import ArchiveDatabase
from tests.conftest import make_config

PASSWORD = "correct horse battery"


def users(tmp_path, monkeypatch, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["users", *args, "--data-dir", str(tmp_path / "data"), "--log-level", "debug"])


def add(tmp_path, monkeypatch, name: str, role: str, password: str = PASSWORD) -> int:
    """``users add NAME --role ROLE --password-stdin``, the password piped in."""
    args = ("add", name, "--role", role, "--password-stdin")
    return users(tmp_path, monkeypatch, *args, stdin=password + "\n")


def stored(tmp_path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(tmp_path / "data" / "index.sqlite") as db:
        return db.execute("SELECT name, role, password_hash FROM users").fetchall()


def test_users_are_added_listed_changed_and_removed_from_the_command_line(
    tmp_path, monkeypatch, capsys
):
    assert add(tmp_path, monkeypatch, "alice", "admin") == 0
    assert add(tmp_path, monkeypatch, "ci", "test_write", "another secret") == 0
    capsys.readouterr()
    assert users(tmp_path, monkeypatch, "list") == 0
    listed = [line.split("\t")[:2] for line in capsys.readouterr().out.splitlines()]
    assert listed == [["alice", "admin"], ["ci", "test_write"]]

    assert users(tmp_path, monkeypatch, "passwd", "ci", "--role", "viewer") == 0
    before = dict((n, h) for n, _, h in stored(tmp_path))["alice"]
    assert (
        users(
            tmp_path, monkeypatch, "passwd", "alice", "--password-stdin", stdin="a brand new one\n"
        )
        == 0
    )
    after = {n: (r, h) for n, r, h in stored(tmp_path)}
    assert after["ci"][0] == "viewer"
    assert after["alice"][1] != before
    assert users(tmp_path, monkeypatch, "remove", "ci") == 0
    assert [n for n, _, _ in stored(tmp_path)] == ["alice"]


def test_a_password_is_stored_as_an_argon2id_hash_and_never_printed_or_logged(
    tmp_path, monkeypatch, capsys, caplog
):
    caplog.set_level(logging.DEBUG)
    add(tmp_path, monkeypatch, "alice", "viewer")
    [(_, _, password_hash)] = stored(tmp_path)
    assert password_hash.startswith("$argon2id$")
    assert PASSWORD not in password_hash
    out = capsys.readouterr()
    assert PASSWORD not in out.out + out.err + caplog.text


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (("add", "bob", "--password-stdin"), "long enough\n", "needs --role"),
        (("add", "bob", "--role", "viewer", "--password-stdin"), "short\n", "8 to 1024"),
        (("add", "b o b", "--role", "viewer", "--password-stdin"), PASSWORD, "not a user name"),
        (("remove", "nobody"), "", "no user 'nobody'"),
        (("passwd",), "", "needs a NAME"),
        (("add", "bob", "--role", "viewer"), "", "--password-stdin"),  # stdin is no terminal
    ],
)
def test_a_bad_request_exits_1_saying_what_to_do(tmp_path, monkeypatch, capsys, args, stdin, says):
    assert users(tmp_path, monkeypatch, *args, stdin=stdin) == 1
    assert says in capsys.readouterr().err


def test_a_name_taken_is_refused(tmp_path):
    accounts = Accounts(ArchiveDatabase.open(tmp_path / "index.sqlite"))
    accounts.add("alice", "viewer", PASSWORD)
    with pytest.raises(AccountError, match="already"):
        accounts.add("alice", "admin", PASSWORD)


def test_a_password_is_verified_and_an_unknown_user_costs_a_hash_check_too(tmp_path):
    checked: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, hash, password):  # type: ignore[no-untyped-def]
            checked.append(hash)
            return super().verify(hash, password)

    accounts = Accounts(ArchiveDatabase.open(tmp_path / "index.sqlite"), Counting())
    accounts.add("alice", "test_write", PASSWORD)
    assert accounts.verify("alice", PASSWORD) == Identity("alice", "test_write")
    assert accounts.verify("alice", PASSWORD + "!") is None
    checked.clear()
    assert accounts.verify("mallory", PASSWORD) is None
    assert accounts.verify("' OR 1=1 --", PASSWORD) is None
    assert len(checked) == 2  # both paid for a full argon2 check


def test_users_added_before_the_first_serve_leave_the_data_directory_new(tmp_path, monkeypatch):
    add(tmp_path, monkeypatch, "alice", "admin")
    with Emulator(make_config(tmp_path / "data", storage__empty=False)) as emulator:
        assert emulator.index.counts()["instances"] == 30  # the demo archive
    with Emulator(make_config(tmp_path / "data", storage__empty=False)) as emulator:
        assert emulator.index.counts()["instances"] == 30  # made once
    assert [n for n, _, _ in stored(tmp_path)] == ["alice"]
