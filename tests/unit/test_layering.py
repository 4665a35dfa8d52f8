"""Layering rules: storage and the fault-free core import no network libraries."""

import subprocess
import sys


def imported_after(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_storage_imports_neither_pynetdicom_nor_aiohttp_nor_emulator():
    modules = imported_after("storage")
    assert not {m for m in modules if m.split(".")[0] in ("pynetdicom", "aiohttp", "emulator")}
