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


def test_a_small_module_of_the_emulator_does_not_load_the_server():
    for module in ("emulator.scenario.problems", "emulator.client", "emulator.version"):
        loaded = {m.split(".")[0] for m in imported_after(module)}
        heavy = {"pynetdicom", "aiohttp", "sqlite_utils", "numpy", "hl7", "tqdm", "yaml"}
        assert not loaded & heavy, f"{module} loads {sorted(loaded & heavy)}"


def test_the_package_still_offers_the_emulator():
    code = "import emulator; print(emulator.Emulator.__name__, emulator.load_config.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["Emulator", "load_config"]
