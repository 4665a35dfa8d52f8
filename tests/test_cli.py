"""The command line: flags, config file precedence, errors, the ready line and signals."""

from __future__ import annotations

import contextlib
import io
import json
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.uid import ImplicitVRLittleEndian, RLELossless

from emulator.cli import main
from tests.helpers import dcmtk, dcmtk_path, serve_subprocess


def test_check_prints_the_effective_config_with_flags_over_file_over_defaults(tmp_path, capsys):
    config = tmp_path / "fabricator.toml"
    config.write_text('[dicom]\nport = 4242\nae_title = "FROMFILE"\n[storage]\ndata_dir = "d"\n')

    assert main(["check", "--config", str(config), "--ae-title", "FROMFLAG"]) == 0

    effective = json.loads(capsys.readouterr().out)
    assert effective["dicom.port"] == 4242  # file over default
    assert effective["dicom.ae_title"] == "FROMFLAG"  # flag over file
    assert effective["storage.data_dir"] == str(tmp_path / "d")  # relative to the file
    assert effective["admin.host"] == "127.0.0.1"  # default


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "--port", "eleven"], "dicom.port: expected an integer"),
        (["check", "--port", "70000"], "dicom.port: expected 0 to 65535"),
        (["check", "--ae-title", "WAY_TOO_LONG_AE_TITLE"], "AE title must be 1-16"),
        (["check", "--config", "/nonexistent.toml"], "cannot read config file"),
    ],
)
def test_bad_settings_exit_2_with_a_message_naming_the_setting(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("dicom-fabricator: error:")
    assert message in err


def test_unknown_config_key_suggests_the_right_one(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text("[dicom]\nae_tilte = 'X'\n")
    assert main(["check", "--config", str(config)]) == 2
    assert 'dicom.ae_tilte: unknown setting (did you mean "dicom.ae_title"?)' in (
        capsys.readouterr().err
    )


def test_every_setting_has_a_flag_with_help(capsys):
    from emulator.config import settings

    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    help_text = capsys.readouterr().out
    for row in settings():
        assert row.flag in help_text


def test_port_in_use_is_a_clear_startup_error(tmp_path, capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        code = main(
            [
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--admin-port",
                "0",
                "--data-dir",
                str(tmp_path / "d"),
            ]
        )
    assert code == 1
    assert f"cannot listen for DICOM on 127.0.0.1:{port}" in capsys.readouterr().err


def health_of_serve(tmp_path: Path, *extra: str | signal.Signals) -> tuple[dict, int]:
    """Start serve, read GET /api/health, stop it with the given signal (last argument)."""
    *flags, stop = extra
    proc, ready = start_serving(tmp_path, *[str(f) for f in flags])
    try:
        health = json.load(urllib.request.urlopen(ready["admin"] + "/api/health", timeout=5))
    finally:
        proc.send_signal(stop)  # type: ignore[arg-type]
        proc.communicate(timeout=15)
    return health, proc.returncode


def start_serving(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    return serve_subprocess(tmp_path / "data", *extra)


def test_serve_prints_a_ready_line_serves_and_stops_cleanly_on_sigterm(tmp_path):
    proc, ready = start_serving(tmp_path)
    try:
        port = ready["dicom"].rsplit(":", 1)[1]
        health = json.load(urllib.request.urlopen(ready["admin"] + "/api/health", timeout=5))
        assert health["ready"] is True
        assert health["dicom"]["port"] == int(port)
        if dcmtk_available():
            assert dcmtk("echoscu", "-aec", "FABRICATOR", "127.0.0.1", port).returncode == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "event=started" in err
    assert "stopping" in err
    assert (tmp_path / "data" / "index.sqlite").exists()
    assert "hl7" not in ready  # off by default


def test_the_ready_line_names_the_hl7_listener_when_it_is_on(tmp_path):
    proc, ready = start_serving(tmp_path, "--hl7-host", "127.0.0.1", "--hl7-port", "0")
    try:
        host, port = ready["hl7"].rsplit(":", 1)
        health = json.load(urllib.request.urlopen(ready["admin"] + "/api/health", timeout=5))
        assert (host, int(port)) == ("127.0.0.1", health["hl7"]["port"])
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)


def test_serve_reopens_an_existing_data_directory_with_its_index(tmp_path):
    from emulator import Emulator
    from tests.conftest import make_config
    from tests.helpers import make_dataset, part10

    with Emulator(make_config(tmp_path / "data")) as emu:
        emu.archive.import_instance(part10(make_dataset()))
    health, returncode = health_of_serve(tmp_path, signal.SIGINT)
    assert health["counts"]["instances"] == 1
    assert returncode == 0


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("dicom-fabricator ")


def dcmtk_available() -> bool:
    return dcmtk_path("echoscu") is not None


def test_fabricate_writes_a_seeded_archive_that_c_find_answers(tmp_path, capsys):
    from emulator import Emulator
    from tests.conftest import make_config
    from tests.helpers import find, query

    data = tmp_path / "data"
    assert (
        main(
            [
                "fabricate",
                "--data-dir",
                str(data),
                "--patients",
                "3",
                "--series-per-study",
                "1",
                "--instances-per-series",
                "2",
                "--seed",
                "4",
                "--anchor",
                "20260101",
            ]
        )
        == 0
    )
    out, err = capsys.readouterr()
    assert "fabricated 6 instances (seed 4, synthesized on demand)" in out
    assert "it/s" not in err
    assert "instance/s" not in err
    assert not list((data / "objects").rglob("*.dcm"))  # index rows and a recipe, no files

    with Emulator(make_config(data)) as emu:
        results, final = find(
            emu.dicom_port,
            query(
                "STUDY", PatientID="FAB4-*", StudyInstanceUID="", NumberOfStudyRelatedInstances=""
            ),
        )
    assert final.Status == 0x0000
    assert len(results) == 3
    assert {r.NumberOfStudyRelatedInstances for r in results} == {2}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fabricate", "--patients", "0"], "expected a positive integer"),
        (["fabricate", "--modalities", "CT,XR"], "unknown modality XR"),
        (["fabricate", "--anchor", "yesterday"], "expected a date YYYYMMDD"),
        (["fabricate", "--transfer-syntaxes", "rle,jpeg"], "unknown transfer syntax jpeg"),
    ],
)
def test_fabricate_refuses_bad_parameters(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_fabricate_materialize_writes_part10_files_in_the_chosen_syntaxes(tmp_path, capsys):
    data = tmp_path / "data"
    argv = ["fabricate", "--data-dir", str(data), "--patients", "1", "--matrix", "32"]
    argv += ["--modalities", "US", "--transfer-syntaxes", "rle,implicit", "--materialize"]
    assert main(argv) == 0
    assert "fabricated 10 instances (seed 1, as files)" in capsys.readouterr().out
    files = sorted((data / "objects").rglob("*.dcm"))
    syntaxes = {str(dcmread(f, stop_before_pixels=True).file_meta.TransferSyntaxUID) for f in files}
    assert len(files) == 10
    assert syntaxes == {RLELossless, ImplicitVRLittleEndian}


def test_fabricate_enhanced_makes_ct_and_mr_series_one_multi_frame_instance(tmp_path, capsys):
    data = tmp_path / "data"
    argv = ["fabricate", "--data-dir", str(data), "--patients", "3", "--matrix", "32"]
    argv += ["--modalities", "CT,MR,CR", "--enhanced", "--materialize"]
    assert main(argv) == 0
    # CT and MR: 2 series of one 5-frame instance each; CR: 2 series of 5 instances
    assert "fabricated 14 instances (seed 1, as files)" in capsys.readouterr().out
    classes = sorted(
        dcmread(f, stop_before_pixels=True).SOPClassUID.name
        for f in (data / "objects").rglob("*.dcm")
    )
    assert classes.count("Enhanced CT Image Storage") == 2
    assert classes.count("Enhanced MR Image Storage") == 2
    assert classes.count("Computed Radiography Image Storage") == 10


def test_fabricate_says_what_to_install_for_a_missing_encoder(tmp_path, capsys, monkeypatch):
    from storage.fabrication_spec import FabricationSpec

    monkeypatch.setattr(FabricationSpec, "missing_encoders", lambda self: ["X needs libx"])
    argv = ["fabricate", "--data-dir", str(tmp_path), "--transfer-syntaxes", "jpeg-ls"]
    assert main(argv) == 1
    assert "error: cannot fabricate: X needs libx" in capsys.readouterr().err


def test_serve_gives_a_new_data_directory_a_seeded_demo_archive(tmp_path):
    health, returncode = health_of_serve(tmp_path, signal.SIGTERM)
    assert health["counts"] == {"patients": 3, "studies": 3, "series": 6, "instances": 30}
    assert returncode == 0


def test_serve_with_empty_starts_a_new_data_directory_empty(tmp_path):
    health, returncode = health_of_serve(tmp_path, "--empty", signal.SIGTERM)
    assert health["counts"]["instances"] == 0
    assert returncode == 0


def test_a_data_directory_emptied_by_its_user_is_not_refilled(tmp_path):
    from emulator import Emulator
    from tests.conftest import make_config

    with Emulator(make_config(tmp_path / "data")):  # creates the index, empty
        pass
    health, returncode = health_of_serve(tmp_path, signal.SIGTERM)
    assert health["counts"]["instances"] == 0
    assert returncode == 0


def test_fabricate_does_not_silently_overwrite_the_demo_archive(tmp_path, capsys):
    """The demo archive is seed 1: fabricating seed 1 again names the clash and changes
    nothing; another seed adds to it; --replace replaces."""
    from emulator import Emulator
    from tests.conftest import make_config

    data = tmp_path / "data"
    with Emulator(make_config(data, storage__empty=False)) as emulator:  # makes the demo
        demo = emulator.index.study_uids()
    base = ["fabricate", "--data-dir", str(data), "--profile", "edge-cases"]
    assert main([*base, "--seed", "1"]) == 1
    err = capsys.readouterr().err
    assert "already holds 3 of the" in err
    assert "--replace" in err
    assert main([*base, "--seed", "2"]) == 0
    with Emulator(make_config(data)) as emulator:
        assert demo < emulator.index.study_uids()
    assert main([*base, "--seed", "1", "--replace"]) == 0


def test_check_refuses_what_serve_would_refuse(tmp_path, capsys):
    data = ["--data-dir", str(tmp_path / "data")]
    assert main(["check", "--admin-host", "0.0.0.0", *data]) == 2
    err = capsys.readouterr().err
    assert "would be open to the network" in err
    assert "users add NAME --role admin" in err
    tokens = tmp_path / "tokens"
    tokens.write_text("superuser abcdefghijklmnopqrstuvwxyz\n")
    assert main(["check", "--admin-tokens", str(tokens)]) == 2
    err = capsys.readouterr().err
    assert f"{tokens}:1: expected 'ROLE TOKEN'" in err
    assert "abcdefghijklmnopqrstuvwxyz" not in err
    tokens.write_text("admin abcdefghijklmnopqrstuvwxyz\n")
    assert main(["check", "--admin-host", "0.0.0.0", "--admin-tokens", str(tokens)]) == 0


def test_off_loopback_a_user_or_a_directory_stands_for_the_tokens(tmp_path, monkeypatch):
    """Someone must log in: the API is not open to the network without tokens then."""
    from emulator import Emulator
    from tests.conftest import make_config

    data = ["--data-dir", str(tmp_path / "data")]
    directory = ["--ldap-url", "ldap://127.0.0.1:1", "--ldap-user-base", "dc=example"]
    directory += ["--ldap-viewer-groups", "readers"]
    assert main(["check", "--admin-host", "0.0.0.0", *data, *directory]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["users", "add", "ada", "--role", "admin", "--password-stdin", *data]) == 0
    assert main(["check", "--admin-host", "0.0.0.0", *data]) == 0
    with Emulator(make_config(tmp_path / "data", admin__host="0.0.0.0")) as emulator:
        port = emulator.admin_url.rsplit(":", 1)[1]
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=10)
        assert refused.value.code == 401  # a login is required, on loopback too


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["fabricate", "--patiens", "3"], "unknown option --patiens (did you mean --patients?)"),
        (["serve", "--prot", "5"], "unknown option --prot (did you mean --port?)"),
        (["--prot", "5"], "unknown option --prot (did you mean --port?)"),
        (["fabricate", "--port", "5"], "--port (serve and check take it, fabricate not)"),
        (["serve", "--seed", "5"], "did you mean --scenario-seed?"),
        # fabricate's own options are added only when needed: still named as its
        (["serve", "--patients", "5"], "--patients (fabricate takes it, serve not)"),
        (["export", "--out", "x", "--seed", "2"], "--seed (fabricate takes it, export not)"),
        (["fabricat"], "unknown command 'fabricat' (did you mean fabricate?)"),
    ],
)
def test_a_misspelt_option_or_command_is_three_lines_with_a_suggestion(argv, expected, capsys):
    with contextlib.suppress(SystemExit):
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert len(err.splitlines()) == 3, err
    assert err.splitlines()[-1].startswith("Try 'dicom-fabricator")


def test_each_command_lists_only_the_options_it_takes(capsys):
    with contextlib.suppress(SystemExit):
        main(["fabricate", "--help"])
    fabricate_help = capsys.readouterr().out
    assert "--patients" in fabricate_help
    assert "--data-dir" in fabricate_help
    for other in ("--port", "--admin-host", "--scenario", "--commitment-mode"):
        assert other not in fabricate_help
    with contextlib.suppress(SystemExit):
        main(["export", "--help"])
    assert "--max-associations" not in capsys.readouterr().out
    with contextlib.suppress(SystemExit):
        main(["serve", "--help"])
    assert "--scenario-seed" in capsys.readouterr().out


def test_main_leaves_logging_as_it_found_it(tmp_path):
    """Called in-process (as tests do) a command must not leave a handler on a stream that
    closes behind it: later log records from other threads would fail ("Logging error")."""
    import logging
    import warnings

    root = logging.getLogger()
    before = (root.handlers[:], root.level, logging.getLogger("pydicom").level)
    filters = warnings.filters[:]
    assert main(["fabricate", "--data-dir", str(tmp_path / "d"), "--patients", "1"]) == 0
    after = (root.handlers[:], root.level, logging.getLogger("pydicom").level)
    assert after == before
    assert warnings.filters == filters


def test_pynetdicom_formats_response_identifiers_only_while_debugging_and_is_put_back():
    from pynetdicom import _config

    from emulator.cli import _logging

    before = _config.LOG_RESPONSE_IDENTIFIERS
    with _logging("info"):
        assert _config.LOG_RESPONSE_IDENTIFIERS is False
    with _logging("debug"):
        assert _config.LOG_RESPONSE_IDENTIFIERS is True
    assert before == _config.LOG_RESPONSE_IDENTIFIERS


PATIENTS_BY_DEFAULT = [("edge-cases", 8), ("character-sets", 9), ("viewer-torture", 18)]


@pytest.mark.parametrize(("profile", "patients"), [*PATIENTS_BY_DEFAULT, ("standard", 3)])
def test_fabricate_makes_one_patient_per_case_of_a_profile_unless_told(tmp_path, profile, patients):
    """docs/fabrication.md and --help: 3 patients, or one per case of the profile."""
    from emulator import Emulator
    from tests.conftest import make_config

    data = tmp_path / "data"
    args = ["fabricate", "--data-dir", str(data), "--profile", profile, "--instances-per-series"]
    assert main([*args, "1", "--series-per-study", "1"]) == 0
    with Emulator(make_config(data)) as emulator:
        assert emulator.index.counts()["patients"] == patients
