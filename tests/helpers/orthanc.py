"""Orthanc (Debian's ``orthanc`` package) as an independent DICOM peer for the specs: started on
free ports with a configuration of its own, driven through its REST API, stopped after."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.helpers import free_port, wait_until

ORTHANC = shutil.which("Orthanc") or (
    "/usr/sbin/Orthanc" if Path("/usr/sbin/Orthanc").exists() else None
)

# Debian's orthanc-dicomweb package: Orthanc's DICOMweb plugin (a DICOMweb client of ours too)
DICOMWEB_PLUGIN = next(
    (
        str(path)
        for path in (
            Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so"),
            Path("/usr/lib/orthanc/libOrthancDicomWeb.so"),
        )
        if path.exists()
    ),
    None,
)


class Orthanc:
    """A running Orthanc: its AE title, DICOM port and REST URL."""

    def __init__(self, ae_title: str, dicom_port: int, http_port: int, pid: int = 0) -> None:
        self.ae_title = ae_title
        self.pid = pid
        self.dicom_port = dicom_port
        self.url = f"http://127.0.0.1:{http_port}"

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.load(response)

    def post_bytes(self, path: str, data: bytes) -> Any:
        request = urllib.request.Request(self.url + path, data=data, method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)

    def post(self, path: str, body: Any) -> Any:
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)


@contextmanager
def orthanc(
    tmp_path: Path,
    modalities: dict[str, tuple[str, str, int]],
    ae_title: str = "ORTHANC",
    settings: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Orthanc]:
    """Orthanc with *modalities* (name → AE title, host, port), on loopback only; *settings*
    add to or override its configuration, *env* is its environment."""
    assert ORTHANC is not None, "Orthanc is not installed: apt-get install orthanc"
    root = tmp_path / "orthanc"
    root.mkdir()
    dicom_port, http_port = free_port(), free_port()
    config = {
        "Name": "fabricator-spec",
        "StorageDirectory": str(root / "storage"),
        "IndexDirectory": str(root / "index"),
        "DicomAet": ae_title,
        "DicomPort": dicom_port,
        "HttpPort": http_port,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "DicomModalities": {name: list(entry) for name, entry in modalities.items()},
        "DicomAlwaysAllowEcho": True,
        "DicomScuTimeout": 10,
        "StorageCommitmentReportsSize": 100,
        "Plugins": [],
        **(settings or {}),
    }
    (root / "orthanc.json").write_text(json.dumps(config))
    log = (root / "orthanc.log").open("w")
    proc = subprocess.Popen(
        [ORTHANC, str(root / "orthanc.json")], stdout=log, stderr=subprocess.STDOUT, env=env
    )
    server = Orthanc(ae_title, dicom_port, http_port, proc.pid)
    try:

        def ready() -> bool:
            assert proc.poll() is None, (root / "orthanc.log").read_text()
            try:
                server.get("/system")
            except (urllib.error.URLError, ConnectionError):
                return False
            return True

        assert wait_until(ready, timeout=30), "Orthanc did not answer within 30 s"
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
