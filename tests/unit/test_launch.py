"""The process entry point defers ``requests``, which pydicom imports and the emulator never
uses: it loads on first use, and works as imported."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from emulator.launch import defer_imports
defer_imports()
defer_imports()
import pydicom, pynetdicom
import emulator.cli
print(type(sys.modules["requests"]).__name__)
import requests
print(requests.Session.__name__, type(sys.modules["requests"]).__name__)
"""


def _run(code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split("\n")


def test_requests_is_not_run_at_start_and_loads_on_first_use() -> None:
    deferred, used, _ = _run(PROBE)
    assert deferred == "_LazyModule"
    assert used == "Session module"


def test_a_program_that_imports_the_emulator_keeps_its_imports() -> None:
    (loaded, _) = _run(
        "import sys, pydicom, emulator.cli; print(type(sys.modules['requests']).__name__)"
    )
    assert loaded == "module"


def test_python_dash_m_emulator_runs_the_command_line() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "emulator", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert out.stdout.startswith("dicom-fabricator")
