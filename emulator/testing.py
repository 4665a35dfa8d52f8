"""pytest plugin (entry point ``pytest11``): the ``dicom_emulator`` fixture.

Each test gets an emulator started in-process on free ports with a data directory of its
own (empty), or, with ``--dicom-emulator-url URL``, the emulator whose admin API is at URL,
reset before the test. Override the ``dicom_emulator_config`` fixture to change settings::

    @pytest.fixture
    def dicom_emulator_config():
        return {"dicom.ae_title": "ARCHIVE", "storage.empty": False}
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.app import Emulator
from emulator.client import AdminClient
from emulator.config import load_config


class DicomEmulator:
    """What a test drives: where to send DICOM, and helpers over the admin API."""

    def __init__(
        self, api: AdminClient, host: str, port: int, ae_title: str, emulator: Emulator | None
    ) -> None:
        self.api = api
        self.host = host
        self.port = port
        self.ae_title = ae_title
        self.emulator = emulator  # the in-process Emulator, or None for one elsewhere

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def load_scenario(self, scenario: str | Path | dict[str, Any]) -> dict[str, Any]:
        """Activate a scenario (YAML or JSON text, a file, a dict); its summary."""
        return self.api.load_scenario(scenario)

    def add_rule(self, rule: str | dict[str, Any], at: str = "start") -> str:
        """Add one rule to the scenario in force (tried first); its id."""
        return self.api.add_rule(rule, at)

    def fabricate(self, **fields: Any) -> dict[str, Any]:
        """Fabricate studies (``seed``, ``patients``, ``modalities``...); what was created."""
        return self.api.fabricate(**fields)

    def studies(self, **filters: Any) -> list[dict[str, Any]]:
        """The archive's studies (``patient_id``, ``modality``, ``study_date``... filters)."""
        return self.api.studies(**filters)

    def upload(self, *files: bytes | Path) -> list[dict[str, Any]]:
        """Store Part 10 files as if received by C-STORE."""
        return self.api.upload(*files)

    def journal(self, kind: str = "message", **filters: Any) -> list[dict[str, Any]]:
        """Journal entries matching *filters* (``service``, ``calling_ae``, ``status``...)."""
        return self.api.journal(kind, **filters)

    def count(self, kind: str = "message", **filters: Any) -> int:
        return self.api.count(kind, **filters)

    def wait_for(
        self, count: int = 1, timeout: float = 5.0, kind: str = "message", **filters: Any
    ) -> int:
        """Wait until *count* journal entries match; raises TimeoutError otherwise."""
        return self.api.wait_for(count, timeout, kind, **filters)

    def reset(self, keep: Iterable[str] = ()) -> dict[str, Any]:
        """Back to a clean archive (see POST /api/reset)."""
        return self.api.reset(keep)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dicom-fabricator", "DICOM Fabricator emulator")
    group.addoption(
        "--dicom-emulator-url",
        default=None,
        metavar="URL",
        help="use the running emulator whose admin API is at URL (reset before each test)"
        " instead of starting one in-process",
    )
    group.addoption(
        "--dicom-emulator-token",
        default=None,
        metavar="TOKEN",
        help="bearer token for --dicom-emulator-url",
    )


@pytest.fixture
def dicom_emulator_config() -> dict[str, Any]:
    """Settings for the in-process emulator, dotted keys as in the config table (override)."""
    return {}


@pytest.fixture
def dicom_emulator(
    request: pytest.FixtureRequest, tmp_path: Path, dicom_emulator_config: dict[str, Any]
) -> Iterator[DicomEmulator]:
    """A DICOM test server for this test, empty and with no scenario."""
    url = request.config.getoption("--dicom-emulator-url")
    if url:
        api = AdminClient(url, request.config.getoption("--dicom-emulator-token"))
        api.reset()
        health = api.health()
        host = health["dicom"]["host"]
        if host in ("0.0.0.0", "::", ""):
            host = urllib.parse.urlsplit(url).hostname or "127.0.0.1"
        yield DicomEmulator(api, host, int(health["dicom"]["port"]), health["ae_title"], None)
        return
    settings: dict[str, Any] = {
        "dicom.host": "127.0.0.1",
        "dicom.port": 0,
        "admin.host": "127.0.0.1",
        "admin.port": 0,
        "storage.data_dir": tmp_path / "dicom-emulator",
        "storage.empty": True,
        "storage.fsync": False,
        **dicom_emulator_config,
    }
    with Emulator(load_config(None, settings)) as emulator:
        yield DicomEmulator(
            AdminClient(emulator.admin_url),
            emulator.config.dicom.host,
            emulator.dicom_port,
            emulator.ae_title,
            emulator,
        )
