"""Remote AEs: config tables, --remote-ae flags, lookups and move destination resolution."""

from __future__ import annotations

import pytest

from emulator.config import load_config
from emulator.errors import ConfigError, UnknownMoveDestination
from emulator.remotes import RemoteAE, RemoteAERegistry, from_table, parse_spec
from emulator.services.retrieve import resolve_destination


def test_spec_parses_name_title_host_and_port():
    assert parse_spec("viewer=VIEWER@127.0.0.1:11113") == RemoteAE(
        "viewer", "VIEWER", "127.0.0.1", 11113
    )
    assert parse_spec("v6=WS@[::1]:104").host == "::1"


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("viewer", "is not NAME=AETITLE@HOST:PORT"),
        ("v=VIEWER@host:0", "port must be an integer 1 to 65535"),
        ("v=VIEWER@host:http", "port must be an integer"),
        ("v=AE_TITLE_FAR_TOO_LONG@host:104", "ae_title must be 1-16 characters"),
        ("bad name=AE@host:104", "name must be"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec, problem):
    with pytest.raises(ValueError, match=problem):
        parse_spec(spec)


def test_config_file_tables_and_flags_merge_by_name(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        '[remote_aes.viewer]\nae_title = "VIEWER"\nhost = "10.0.0.1"\nport = 104\n'
        '[remote_aes.ws]\nae_title = "WS"\nhost = "10.0.0.2"\nport = 11112\n'
    )
    config = load_config(path, {"remote_aes": ["viewer=VIEWER@127.0.0.1:11113"]})

    by_name = {r.name: r for r in config.remote_aes}
    assert by_name["viewer"] == RemoteAE("viewer", "VIEWER", "127.0.0.1", 11113)  # flag wins
    assert by_name["ws"].host == "10.0.0.2"


def test_config_problems_name_the_table_and_key(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        '[remote_aes.a]\nae_title = "SAME"\nhost = "h"\nport = 1\n'
        '[remote_aes.b]\nae_title = "SAME"\nhost = "h"\nport = 2\n'
        '[remote_aes.c]\nhost = "h"\nport = 3\nfoo = 1\n'
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert "remote_aes.c: foo: unknown key" in text
    assert "remote_aes.c: ae_title must be" in text
    assert "AE title 'SAME' is used by both 'a' and 'b'" in text


def test_registry_looks_up_by_ae_title_ignoring_padding():
    registry = RemoteAERegistry([RemoteAE("viewer", "VIEWER", "h", 104)])
    assert registry.lookup("VIEWER  ").name == "viewer"
    assert registry.lookup("viewer") is None  # AE titles are case sensitive


class _Ctx:
    def __init__(self, port: int, remotes=()):
        self.remotes = RemoteAERegistry(remotes)
        self.config = load_config(None, {"retrieve.unregistered_destination_port": port})


def test_registered_destination_resolves_to_its_address():
    ctx = _Ctx(0, [RemoteAE("viewer", "VIEWER", "10.1.1.1", 104)])
    destination = resolve_destination("VIEWER", "127.0.0.1", ctx)  # type: ignore[arg-type]
    assert (destination.host, destination.port, destination.registered) == ("10.1.1.1", 104, True)


def test_unregistered_destination_is_refused_by_default_naming_the_title():
    with pytest.raises(UnknownMoveDestination, match="'NOBODY' unknown"):
        resolve_destination("NOBODY", "127.0.0.1", _Ctx(0))  # type: ignore[arg-type]


def test_unregistered_destination_can_go_back_to_the_requestor():
    destination = resolve_destination("ANY", "192.0.2.7", _Ctx(11113))  # type: ignore[arg-type]
    assert (destination.host, destination.port, destination.registered) == (
        "192.0.2.7",
        11113,
        False,
    )


def test_tls_keys_in_a_table_resolve_ca_file_against_the_config_file(tmp_path):
    (tmp_path / "ca.pem").write_text("not checked until used")
    path = tmp_path / "c.toml"
    path.write_text(
        '[remote_aes.secure]\nae_title = "SECURE"\nhost = "h"\nport = 2762\n'
        'tls = true\nca_file = "ca.pem"\n'
    )
    [remote] = load_config(path).remote_aes
    assert remote.tls is True
    assert remote.ca_file == str(tmp_path / "ca.pem")


def test_tls_key_problems_are_reported(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        '[remote_aes.s]\nae_title = "S"\nhost = "h"\nport = 1\ntls = "yes"\nca_file = "nope.pem"\n'
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "tls must be true or false" in str(info.value)
    assert "nope.pem' is not a file" in str(info.value)


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"commitment_mode": "later"}, "commitment_mode must be one of auto, same, new"),
        ({"commitment_delay": -1}, "commitment_delay must be seconds"),
        ({"commitment_delay": "soon"}, "commitment_delay must be seconds"),
    ],
)
def test_commitment_overrides_of_a_remote_ae_are_checked(table, problem):
    remote, problems = from_table("mod", {"ae_title": "MOD", "host": "h", "port": 104, **table})
    assert remote is None
    assert any(problem in p for p in problems)


def test_commitment_overrides_of_a_remote_ae_are_kept():
    remote, problems = from_table(
        "mod",
        {
            "ae_title": "MOD",
            "host": "h",
            "port": 104,
            "commitment_mode": "new",
            "commitment_delay": 2,
        },
    )
    assert problems == []
    assert (remote.commitment_mode, remote.commitment_delay) == ("new", 2.0)
