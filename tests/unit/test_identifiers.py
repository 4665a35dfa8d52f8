"""C-FIND identifiers encoded by emulator/dicom/identifiers.py are the bytes pydicom writes.

The emulator writes plain identifiers (text and integers) itself and leaves anything else to
pydicom; a client must not be able to tell which did. Each spec encodes a data set both ways,
in both little-endian transfer syntaxes the emulator accepts for C-FIND.
"""

from __future__ import annotations

import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom.dsutils import encode as pydicom_way

from emulator.dicom import identifiers
from emulator.dicom.identifiers import _encode_plain

SYNTAXES = [UID(ImplicitVRLittleEndian), UID(ExplicitVRLittleEndian)]


def study_response() -> Dataset:
    """A study-level response as storage/responses.py builds one."""
    ds = Dataset()
    ds.add_new(0x00100010, "PN", "Doe^Jane^^Dr")
    ds.add_new(0x00100020, "LO", "PID-7")  # odd length: space padded
    ds.add_new(0x00100030, "DA", "")
    ds.add_new(0x0020000D, "UI", "1.2.826.0.1.3680043.10.1089.9.1")  # odd: NUL padded
    ds.add_new(0x00080061, "CS", ["CT", "MR", "SR"])  # multi-valued
    ds.add_new(0x00201208, "IS", 1001)  # a count, from the index as an int
    ds.add_new(0x00081030, "LO", None)
    ds.add_new(0x00080020, "DA", "20261202")
    ds.add_new(0x00101030, "DS", "72.5")  # as received
    ds.add_new(0x00280010, "US", 512)
    ds.add_new(0x00280008, "IS", "3")
    ds.QueryRetrieveLevel = "STUDY"
    ds.RetrieveAETitle = "FABRICATOR"
    ds.SpecificCharacterSet = ["ISO 2022 IR 6", "ISO 2022 IR 87"]  # ASCII values: any set
    return ds


@pytest.mark.parametrize("syntax", SYNTAXES, ids=["implicit", "explicit"])
def test_a_plain_response_is_written_without_pydicom_and_byte_for_byte_as_pydicom(syntax):
    ds = study_response()
    ours = _encode_plain(ds, syntax.is_implicit_VR)
    assert ours is not None  # the fast way took it
    assert ours == pydicom_way(ds, syntax.is_implicit_VR, True)


@pytest.mark.parametrize("syntax", SYNTAXES, ids=["implicit", "explicit"])
@pytest.mark.parametrize(
    ("tag", "vr", "value"),
    [
        (0x00100010, "PN", "Müller^Jürgen"),  # non-ASCII text: the character set's matter
        (0x00081110, "SQ", []),  # a sequence
        (0x00091010, "OB", b"\x01\x02"),  # binary
        (0x00280030, "DS", 0.5),  # a float as DS: pydicom formats it
        (0x00209165, "AT", 0x00100010),
    ],
)
def test_anything_else_is_left_to_pydicom_with_the_same_result(syntax, tag, vr, value):
    ds = study_response()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.add_new(tag, vr, value)
    expected = pydicom_way(ds, syntax.is_implicit_VR, True)
    if vr not in ("DS",):
        assert _encode_plain(ds, syntax.is_implicit_VR) is None
    assert identifiers.encode(ds, syntax) == expected


@pytest.mark.parametrize("syntax", SYNTAXES, ids=["implicit", "explicit"])
def test_a_real_world_header_encodes_as_pydicom_encodes_it(syntax):
    """A file the emulator did not make: its 195 text and integer elements of groups
    0008-0028 (private ones too) as one response."""
    ds = dcmread(get_testdata_file("CT_small.dcm"), stop_before_pixels=True)
    response = Dataset()
    for elem in ds:
        if 0x00080000 <= elem.tag < 0x00300000 and elem.VR not in ("SQ", "FL", "FD"):
            response.add(elem)
    assert len(response) == 195
    assert _encode_plain(response, syntax.is_implicit_VR) == pydicom_way(
        response, syntax.is_implicit_VR, True
    )


def test_big_endian_and_deflated_syntaxes_are_pydicoms():
    ds = study_response()
    syntax = UID("1.2.840.10008.1.2.2")  # Explicit VR Big Endian (retired)
    assert identifiers.encode(ds, syntax) == pydicom_way(ds, False, False)
