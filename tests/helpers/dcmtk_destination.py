"""DCMTK's storescp as a C-MOVE destination and movescu as its requestor, as the DCMTK specs
use them."""

from __future__ import annotations

import os
import socket
import subprocess

import pytest
from pydicom import dcmread

from tests.helpers import (
    dcmtk,
    dcmtk_path,
    free_port,
    wait_until,
)


@pytest.fixture
def storescp(tmp_path):
    """DCMTK's storescp as a C-MOVE destination, AE title DEST, files written to a folder."""
    out = tmp_path / "received"
    out.mkdir()
    port = free_port()
    proc = subprocess.Popen(
        [dcmtk_path("storescp"), "--aetitle", "DEST", "-od", str(out), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "TCP_NODELAY": "1"},
    )
    assert wait_until(lambda: _listening(port)), "storescp did not start listening"
    yield port, out
    proc.terminate()
    proc.wait(timeout=10)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def movescu(emulator, destination: str, study_uid: str) -> subprocess.CompletedProcess[str]:
    """DCMTK movescu: the study *study_uid* to the AE title *destination*."""
    return dcmtk(
        "movescu",
        "-S",
        "-aec",
        emulator.ae_title,
        "-aem",
        destination,
        "-k",
        "QueryRetrieveLevel=STUDY",
        "-k",
        f"StudyInstanceUID={study_uid}",
        "127.0.0.1",
        str(emulator.dicom_port),
    )


def received_uids(folder) -> list[str]:
    return sorted(dcmread(p).SOPInstanceUID for p in folder.iterdir() if p.is_file())
