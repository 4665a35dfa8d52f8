"""Settings: one declared table; TOML and overrides validated with every problem listed."""

from pathlib import Path

import pytest

from emulator.config import Config, load_config, settings
from emulator.errors import ConfigError


def test_defaults_match_the_quick_start():
    config = load_config()
    assert (config.dicom.port, config.dicom.ae_title) == (11112, "FABRICATOR")
    assert (config.admin.host, config.admin.port) == ("127.0.0.1", 8180)
    assert config.storage.data_dir == Path("fabricator-data")


def test_all_problems_are_reported_at_once(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('log_level = "loud"\n[dicom]\nport = -1\nmax_pdu = "big"\n[nope]\nx = 1\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    for fragment in (
        "log_level: expected one of",
        "dicom.port: expected 0 to 65535",
        "dicom.max_pdu: expected an integer",
        "nope: unknown setting",
    ):
        assert fragment in text


def test_invalid_toml_names_the_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[dicom\n")
    with pytest.raises(ConfigError, match=r"c\.toml: not valid TOML"):
        load_config(path)


def test_booleans_from_flags_and_files():
    assert load_config(None, {"storage.fsync": "no"}).storage.fsync is False
    with pytest.raises(ConfigError, match="expected true or false"):
        load_config(None, {"storage.fsync": "sometimes"})


def test_settings_table_covers_every_config_field():
    keys = {row.key for row in settings()}
    assert "dicom.port" in keys
    assert "log_level" in keys
    assert isinstance(load_config(), Config)


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"dicomweb.prefix": "dicom-web"}, "dicomweb.prefix: 'dicom-web' is not a path"),
        ({"dicomweb.prefix": "/api"}, "dicomweb.prefix: '/api' is not a path of its own"),
        ({"dicomweb.cors_origins": "localhost:3000"}, "is not an origin such as"),
    ],
)
def test_a_dicomweb_prefix_or_origin_that_cannot_work_is_refused(overrides, says):
    with pytest.raises(ConfigError) as info:
        load_config(None, overrides)
    assert says in str(info.value)
