"""A data directory that cannot be used: a file, a read-only disk, a port already taken. The
answer is one line saying what to do (no traceback), and nothing is left half-made."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile

import pytest

from emulator.cli import main


def fabricate(data, *more):
    return main(["fabricate", "--data-dir", str(data), "--patients", "1", *more])


def test_fabricate_into_a_file_says_it_is_a_file(tmp_path, capsys):
    data = tmp_path / "data"
    data.write_text("not a directory")
    assert fabricate(data) == 1
    err = capsys.readouterr().err
    assert err.startswith("dicom-fabricator: error: the data directory")
    assert "is a file: give --data-dir a directory" in err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1


def test_serve_on_a_port_in_use_leaves_no_data_directory(tmp_path, capsys):
    data = tmp_path / "data"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(
            ["serve", "--host", "127.0.0.1", "--port", str(port), "--admin-port", "0",
             "--data-dir", str(data)]
        )  # fmt: skip
    assert code == 1
    assert "cannot listen for DICOM" in capsys.readouterr().err
    assert not data.exists()


def _readonly_namespace() -> bool:
    """Whether this machine lets an unprivileged process make a read-only bind mount."""
    if shutil.which("unshare") is None:
        return False
    with tempfile.TemporaryDirectory() as directory:
        probe = subprocess.run(
            [
                "unshare",
                "-rm",
                "sh",
                "-c",
                'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0"',
                directory,
            ],
            capture_output=True,
            check=False,
        )
    return probe.returncode == 0


readonly = pytest.mark.skipif(
    not _readonly_namespace(), reason="user namespaces are off here: no read-only mount to test"
)


def on_readonly_mount(directory, *argv: str) -> subprocess.CompletedProcess[str]:
    """``python -m emulator ARGV`` with *directory* mounted read-only (a mount namespace)."""
    script = (
        f'mount --bind "{directory}" "{directory}"'
        f' && mount -o remount,ro,bind "{directory}" "{directory}"'
        f' && exec "{sys.executable}" -m emulator "$@"'
    )
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@readonly
def test_an_archive_on_a_read_only_disk_exports_and_refuses_fabrication(tmp_path):
    data = tmp_path / "archive"
    assert fabricate(data, "--seed", "5") == 0
    before = sorted(p.name for p in data.iterdir())
    exported = on_readonly_mount(
        data, "export", "--data-dir", str(data), "--out", str(tmp_path / "out")
    )
    assert exported.returncode == 0, exported.stderr
    assert "exported 10 instances" in exported.stdout
    assert (tmp_path / "out" / "DICOMDIR").is_file()
    assert sorted(p.name for p in data.iterdir()) == before  # nothing written, no -shm

    refused = on_readonly_mount(data, "fabricate", "--data-dir", str(data), "--seed", "6")
    assert refused.returncode == 1
    assert "is read-only; give --data-dir a directory you can write" in refused.stderr
    assert "Traceback" not in refused.stderr
