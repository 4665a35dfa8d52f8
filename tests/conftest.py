"""Fixtures: an in-process emulator on ephemeral ports with its own data directory."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pydicom
import pynetdicom
import pytest

from emulator import Emulator, load_config
from tests.helpers import dcmtk_path

pytest_plugins = ("pytester",)  # the plugin specs run a user's test file

DCMTK_TOOLS = ("echoscu", "storescu", "findscu", "movescu", "getscu", "storescp")


def _dcmtk_version() -> str | None:
    echoscu = dcmtk_path("echoscu")
    if echoscu is None:
        return None
    out = subprocess.run([echoscu, "--version"], capture_output=True, text=True, check=False)
    return (out.stdout.splitlines() or ["unknown"])[0]


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"pydicom {pydicom.__version__}, pynetdicom {pynetdicom.__version__},"
        f" sqlite-utils {version('sqlite-utils')}, SQLite {sqlite3.sqlite_version}",
        f"DCMTK: {_dcmtk_version() or 'not found'}",
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A spec that needs a tool skips locally without it and fails in CI, for every tool."""
    from tests.helpers.browser import CHROMIUM, PLAYWRIGHT
    from tests.helpers.orthanc import DICOMWEB_PLUGIN, ORTHANC
    from tests.helpers.slapd import MODULES, SLAPD

    needs = {
        "interop": (
            [tool for tool in DCMTK_TOOLS if dcmtk_path(tool) is None],
            "DCMTK not installed: apt-get install dcmtk",
        ),
        "orthanc": (
            [] if ORTHANC is not None else ["Orthanc"],
            "Orthanc not installed: apt-get install orthanc",
        ),
        "browser": (
            [
                name
                for name, found in (("chromium", CHROMIUM), ("playwright", PLAYWRIGHT))
                if not found
            ],
            "a browser is needed: apt-get install chromium (Playwright comes with the tests)",
        ),
        "orthanc_dicomweb": (
            [] if ORTHANC is not None and DICOMWEB_PLUGIN is not None else ["orthanc-dicomweb"],
            "Orthanc's DICOMweb plugin not installed: apt-get install orthanc orthanc-dicomweb",
        ),
        "ldap": (
            [] if SLAPD is not None and MODULES is not None else ["slapd"],
            "a directory server is needed: apt-get install slapd",
        ),
    }
    for marker, (missing, reason) in needs.items():
        if not missing or not any(marker in item.keywords for item in items):
            continue
        if os.environ.get("CI"):
            raise pytest.UsageError(f"missing in CI ({', '.join(missing)}): {reason}")
        for item in items:
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


def make_config(data_dir: Path, **overrides: object):  # type: ignore[no-untyped-def]
    values = {
        "dicom.host": "127.0.0.1",
        "dicom.port": 0,
        "admin.port": 0,
        "storage.data_dir": data_dir,
        "storage.fsync": False,
        "storage.empty": True,
        "dicom.shutdown_grace": 1.0,
    }
    values.update({k.replace("__", "."): v for k, v in overrides.items()})  # remote_aes as is
    return load_config(None, values)


@pytest.fixture
def emulator(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A running emulator on ephemeral ports with an empty data directory of its own.

    Settings can be overridden per test with ``@pytest.mark.config(dicom__max_associations=2)``.
    """
    marker = request.node.get_closest_marker("config")
    overrides = marker.kwargs if marker else {}
    with Emulator(make_config(tmp_path / "data", **overrides)) as emu:
        yield emu
    if request.node.get_closest_marker("allow_internal_errors") is None:
        emu.journal.assert_no_internal_errors()
