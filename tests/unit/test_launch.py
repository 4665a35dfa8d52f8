"""The process entry point defers what starting and answering a C-ECHO do not need: pydicom's
pixel plugins (GDCM, pylibjpeg, Pillow's decoders...), numpy, pydicom's older pixel handlers
and the download helpers pydicom imports; sqlite-utils loads when the archive opens, after
the DICOM listener. Each loads on first use and works as imported: the same plugins, the same
docstrings, the same pixels."""

from __future__ import annotations

import json
import subprocess
import sys

DEFER = "from emulator.launch import defer_imports; defer_imports(); defer_imports()\n"

# what pydicom's pixel coders say about themselves, and a few real-world files decoded
REPORT = """
import hashlib, json, sys
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.pixels.decoders.base import _PIXEL_DATA_DECODERS
from pydicom.pixels.encoders.base import _PIXEL_DATA_ENCODERS
coders = [c for c, _ in (*_PIXEL_DATA_DECODERS.values(), *_PIXEL_DATA_ENCODERS.values())]
files = ("SC_rgb_jpeg_gdcm.dcm", "JPEG2000.dcm", "MR_small_RLE.dcm", "JPEGLSNearLossless_08.dcm")
print(json.dumps({
    "plugins": [[c.UID, c.available_plugins, sorted(c._unavailable)] for c in coders],
    "docs": [c.__doc__ for c in coders],
    "pixels": [hashlib.sha1(dcmread(get_testdata_file(f)).pixel_array.tobytes()).hexdigest()
               for f in files],
}))
"""


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _loaded(names: str) -> str:
    return (
        "from emulator.deferred_imports import is_deferred\n"
        f"print(sorted(n for n in {names} if n in sys.modules"
        " and not is_deferred(sys.modules[n])))"
    )


def test_starting_imports_no_pixel_plugin_no_download_helper_and_no_sqlite_wrapper() -> None:
    heavy = '("gdcm", "pylibjpeg", "libjpeg", "openjpeg", "jpeg_ls", "requests", "tqdm",'
    heavy += ' "urllib.request", "pydicom.pixels.decoders.gdcm", "numpy", "sqlite_utils",'
    heavy += ' "uuid", "hashlib", "secrets", "hmac", "PIL.ImageCms", "pydicom.examples")'
    out = _run(f"import sys\n{DEFER}import pynetdicom, emulator.cli\n{_loaded(heavy)}")
    assert out.strip() == "[]"


def test_listening_needs_no_index_service_fabrication_export_or_accounts_code() -> None:
    later = (
        "storage.index",
        "storage.fabricate",
        "emulator.dicom.retrieve_scp",
        "emulator.dicom.workflow_handlers",
        "emulator.services.store",
        "emulator.services.query",
        "emulator.services.mpps",
        "emulator.services.archive",
        "emulator.services.fabrication",
        "emulator.services.export",
        "emulator.services.accounts",
        "emulator.archive_commands",
        "storage.fabrication_spec",
        "storage.edge_cases",
        "storage.iods",
        "storage.objects",
    )
    code = f"import sys\n{DEFER}import emulator.cli\n{_loaded(repr(later))}"
    assert _run(code).strip() == "[]"


def test_what_listening_left_out_is_imported_once_the_archive_is_open(tmp_path) -> None:
    code = (
        f"import sys\n{DEFER}from emulator import Emulator\n"
        "from emulator.app import IMPORTED_ONCE_OPEN\n"
        "from tests.conftest import make_config\n"
        f"with Emulator(make_config({str(tmp_path / 'data')!r})):\n"
        "    print(sorted(set(IMPORTED_ONCE_OPEN) - set(sys.modules)))"
    )
    assert _run(code).strip() == "[]"


def test_the_deferred_standard_modules_and_pydicom_s_examples_work_when_used() -> None:
    code = DEFER + (
        "import pydicom, hmac\n"
        "from pydicom.uid import generate_uid\n"
        "from PIL import ImageCms\n"
        "print(generate_uid(prefix=None)[:5], generate_uid(entropy_srcs=['x'])[-3:])\n"
        "print(pydicom.examples.ct.PatientName, hmac.compare_digest(b'a', b'a'))\n"
        "print(type(ImageCms.createProfile('sRGB')).__name__)"
    )
    assert _run(code).split("\n")[:3] == ["2.25. 661", "CompressedSamples^CT1 True", "CmsProfile"]


def test_no_request_after_the_start_waits_for_an_import_of_the_emulator_s() -> None:
    # IMPORTED_ONCE_OPEN lists by hand what the handlers import where they first use it
    out = subprocess.run(
        [sys.executable, "-m", "tests.helpers.first_requests"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.splitlines()[-1])
    assert report["status"] == {
        "C-ECHO": 0,
        "C-FIND studies": 3,  # the demo archive's
        "C-STORE": 0,
        "MWL C-FIND": 0,
        "N-CREATE": 0,
        "N-ACTION": 0,
        "N-EVENT-REPORT event": 1,  # all committed
        "C-GET instances": 10,
        "GET /api/health": 200,
    }
    assert report["imported"] == []


def test_no_garbage_collection_until_started_then_the_start_s_objects_are_set_aside() -> None:
    code = (
        "import gc\n"
        "from emulator.launch import collecting_once_started\n"
        "with collecting_once_started() as started:\n"
        "    starting = gc.isenabled()\n"
        "    started()\n"
        "    print(starting, gc.isenabled(), gc.get_freeze_count() > 1000)\n"
        "try:\n"
        "    with collecting_once_started():\n"
        "        raise OSError('port in use')\n"
        "except OSError:\n"
        "    print(gc.isenabled())"
    )
    assert _run(code).split("\n")[:2] == ["False True True", "True"]


def test_serve_starts_without_garbage_collection_and_then_sets_the_start_aside(tmp_path) -> None:
    code = (
        "import gc, os, signal\n"
        "from emulator import cli, launch\n"
        "from emulator.app import Emulator\n"
        "from tests.conftest import make_config\n"
        "start, started = Emulator.start, launch._started\n"
        "def starting(self):\n"
        "    print('collecting while starting:', gc.isenabled())\n"
        "    return start(self)\n"
        "def once_started():  # serve says it has started: look, then stop it as SIGTERM does\n"
        "    started()\n"
        "    print('then:', gc.isenabled(), gc.get_freeze_count() > 1000)\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "Emulator.start, launch._started = starting, once_started\n"
        f"print(cli.serve(make_config({str(tmp_path / 'data')!r})), gc.isenabled())"
    )
    out = _run(code).splitlines()
    assert out[0] == "collecting while starting: False"
    assert "then: True True" in out
    assert out[-1] == "0 True"


def test_numpy_is_not_run_by_importing_it_again_only_by_using_it() -> None:
    loaded = _loaded("('numpy',)")
    code = (
        f"import sys\n{DEFER}import numpy\nimport numpy as np\n{loaded}\n"
        "print(np.frombuffer(b'\\x01\\x02', dtype=np.uint8).sum())\n"
        "import numpy.linalg\nprint(type(sys.modules['numpy']).__name__, np.linalg.__name__)"
    )
    assert _run(code).split("\n")[:3] == ["[]", "3", "module numpy.linalg"]


def test_the_pixel_coders_say_and_decode_what_they_would_without_deferring() -> None:
    plain = json.loads(_run(REPORT))
    deferred = json.loads(_run(DEFER + REPORT))
    assert any(available for _, available, _ in plain["plugins"])  # plugins are installed
    assert deferred == plain


def test_a_plugin_added_after_start_joins_the_deferred_ones() -> None:
    code = DEFER + (
        "from pydicom.pixels.decoders.base import JPEGBaseline8BitDecoder as d\n"
        "d.remove_plugin('pillow')\n"
        "d.add_plugin('pillow', ('pydicom.pixels.decoders.pillow', '_decode_frame'))\n"
        "print(d.available_plugins)\n"
        "try:\n"
        "    d.add_plugin('pillow', ('pydicom.pixels.decoders.pillow', '_decode_frame'))\n"
        "except ValueError as exc:\n"
        "    print(exc)"
    )
    added, refused, _ = _run(code).split("\n")
    assert "pillow" in added
    assert refused == "'Decoder' already has a plugin named 'pillow'"


def test_threads_that_look_at_once_all_see_every_plugin() -> None:
    code = DEFER + (
        "import threading\n"
        "from pydicom.pixels.decoders.base import _PIXEL_DATA_DECODERS\n"
        "seen = []\n"
        "def look():\n"
        "    seen.append([d.available_plugins for d, _ in _PIXEL_DATA_DECODERS.values()])\n"
        "threads = [threading.Thread(target=look) for _ in range(8)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "print(len(seen), all(s == seen[0] for s in seen), sum(map(len, seen[0])) > 0)"
    )
    assert _run(code).strip() == "8 True True"


def test_a_program_that_imports_the_emulator_keeps_its_imports() -> None:
    out = _run(
        "import sys, pydicom, emulator.cli\n"
        "print([type(sys.modules[n]).__name__ for n in ('requests', 'numpy', 'gdcm')])"
    )
    assert out.strip() == "['module', 'module', 'module']"


def test_python_dash_m_emulator_runs_the_command_line() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "emulator", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert out.stdout.startswith("dicom-fabricator")
