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


def test_services_know_nothing_of_the_wire():
    """Services decide; the DICOM adapter (emulator.dicom) and the HTTP server (aiohttp) call
    them, never the reverse."""
    import pathlib

    services = pathlib.Path(__file__).parents[2] / "emulator" / "services"
    modules = sorted(f"emulator.services.{p.stem}" for p in services.glob("[a-z]*.py"))
    assert len(modules) >= 10
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules)
    code += "print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert not {m for m in loaded if m.split(".")[0] in ("pynetdicom", "aiohttp")}
    assert not {m for m in loaded if m.startswith("emulator.dicom") or m == "emulator.app"}


def test_the_scenario_engine_imports_no_network_library():
    loaded = imported_after("emulator.scenario.engine") | imported_after("emulator.scenario.loader")
    assert not {m for m in loaded if m.split(".")[0] in ("pynetdicom", "aiohttp")}


def test_the_admin_api_depends_on_its_own_narrow_interface_not_on_the_emulator():
    """No import circle: the admin and DICOMweb packages never import emulator.app (nor
    pynetdicom), and their views reach the data through the archive, not the stores."""
    import pathlib

    root = pathlib.Path(__file__).parents[2] / "emulator"
    sources = [*(root / "admin").glob("*.py"), *(root / "dicomweb").glob("*.py")]
    assert len(sources) > 15
    for source in sources:
        text = source.read_text(encoding="utf-8")
        assert "emulator.app" not in text, source.name
        assert "pynetdicom" not in text, source.name
        for store in (".index.", ".instances.", ".files."):
            assert f"[EMULATOR]{store}" not in text, (source.name, store)
    loaded = imported_after("emulator.admin.app")
    assert "emulator.app" not in loaded
    assert not {m for m in loaded if m.split(".")[0] == "pynetdicom"}


def test_specs_share_builders_through_helpers_never_through_each_other():
    """A spec module imports no other spec module: shared builders and fixtures live in
    tests/helpers/, so each spec file can be read (and run) alone."""
    import pathlib
    import re

    tests = pathlib.Path(__file__).parents[1]
    crossing = re.compile(r"^\s*(from|import) tests\.[\w.]*\btest_\w+", re.MULTILINE)
    offenders = [
        str(path.relative_to(tests))
        for path in tests.rglob("*.py")
        if crossing.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
