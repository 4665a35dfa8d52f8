"""DCMTK's decoders read the viewer-torture profile's compressed images: each stream is
standard, not only readable by the library that wrote it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from pydicom import dcmread

from storage import torture
from storage.fabricate import fabricate
from storage.fabrication_spec import FabricationSpec
from tests.helpers import dcmtk

pytestmark = pytest.mark.interop

# each case with the DCMTK tool that writes it back uncompressed
DECODERS = {
    "syntax-deflated": ("dcmconv", "+te"),
    "syntax-rle": ("dcmdrle",),
    "syntax-jpeg-ls": ("dcmdjpls",),
    "syntax-jpeg-ls-near-lossless": ("dcmdjpls",),
    "syntax-jpeg-lossless": ("dcmdjpeg",),
}


@pytest.fixture(scope="module")
def images():
    spec = FabricationSpec(
        seed=5,
        patients=len(torture.CASES),
        profile="viewer-torture",
        series_per_study=1,
        instances_per_series=1,
        matrix=48,
        modalities=("CT",),
        anchor=dt.date(2026, 1, 1),
    )
    return dict(zip(torture.CASES, fabricate(spec), strict=True))


@pytest.mark.parametrize("case", list(DECODERS))
def test_dcmtk_decodes_each_case_to_the_pixels_pydicom_reads(images, case, tmp_path):
    ds = images[case]
    ds.save_as(tmp_path / "in.dcm", enforce_file_format=True)
    tool, *options = DECODERS[case]
    r = dcmtk(tool, *options, str(tmp_path / "in.dcm"), str(tmp_path / "out.dcm"))
    assert r.returncode == 0, r.stdout + r.stderr
    decoded = dcmread(tmp_path / "out.dcm")
    assert decoded.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"  # explicit VR
    assert np.array_equal(decoded.pixel_array, dcmread(tmp_path / "in.dcm").pixel_array)
