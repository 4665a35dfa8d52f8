"""The SNOMED CT codes fabricated images carry are written out in ``storage.iods.codes`` (so that
starting the emulator does not import pydicom's code dictionary); each must be pydicom's."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydicom.sr.codedict import codes

from storage.iods.codes import SCT, Code

WRITTEN_OUT = {name: code for name, code in vars(SCT).items() if isinstance(code, Code)}


@pytest.mark.parametrize("name", sorted(WRITTEN_OUT))
def test_each_code_is_pydicoms(name: str) -> None:
    theirs = getattr(codes.SCT, name)
    assert WRITTEN_OUT[name] == (theirs.value, theirs.scheme_designator, theirs.meaning)


def test_starting_the_command_line_does_not_load_the_code_dictionary() -> None:
    probe = "import sys, emulator.cli; print('pydicom.sr.codedict' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
