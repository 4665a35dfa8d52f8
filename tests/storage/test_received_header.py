"""A C-STORE's data set is read for the index without the File Meta Information the emulator
writes in front of it; the outcome must be the one its Part 10 file gives (the same record,
or the same refusal), for every Part 10 file pydicom bundles, in every transfer syntax they
come in."""

from __future__ import annotations

import pytest

from storage import read_header, read_received, record_from_dataset
from storage.errors import StorageError
from tests.helpers import PYDICOM_DATA

_META_START = b"DICM\x02\x00\x00\x00UL\x04\x00"  # (0002,0000) group length, explicit VR
PART10 = sorted(
    p.name
    for p in (PYDICOM_DATA / "test_files").glob("*.dcm")
    if p.read_bytes()[128:140] == _META_START and p.name != "meta_missing_tsyntax.dcm"
)  # fmt: skip (a file whose meta names no syntax is no C-STORE's: it had a context's)


def _outcome(read, syntax):
    try:
        return record_from_dataset(read(), syntax)
    except StorageError as exc:
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("name", PART10)
def test_a_received_data_set_gives_what_its_part10_file_gives(name):
    content = (PYDICOM_DATA / "test_files" / name).read_bytes()
    header = read_header(content)
    syntax = str(header.file_meta.TransferSyntaxUID)
    data = content[144 + int.from_bytes(content[140:144], "little") :]  # after the meta
    if read_received(data, syntax) is None:  # deflated: read from the Part 10 file
        assert header.file_meta.TransferSyntaxUID.is_deflated
        return
    assert _outcome(lambda: read_received(data, syntax), syntax) == _outcome(
        lambda: read_header(content), syntax
    )


def test_there_are_files_in_many_syntaxes_to_hold_it_to():
    syntaxes = {
        str(read_header((PYDICOM_DATA / "test_files" / n).read_bytes()).file_meta.TransferSyntaxUID)
        for n in PART10
    }
    assert len(PART10) > 50
    assert {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"} <= syntaxes
    assert len(syntaxes) >= 8


def test_a_deflated_or_unknown_syntax_is_left_to_the_part10_reader():
    assert read_received(b"", "1.2.840.10008.1.2.1.99") is None
    assert read_received(b"", "1.2.3.4") is None


def _converted(read):
    """The header with every element converted by pydicom, so none is read from raw bytes."""
    ds = read()
    list(ds)  # iterating a Dataset converts each element in place
    return ds


@pytest.mark.parametrize("name", PART10)
def test_values_read_from_raw_bytes_are_what_pydicom_converts_them_to(name):
    """The index reads plain ASCII text and single little endian integers (Rows, Columns)
    from their raw bytes; the record must be the one pydicom's own conversion gives."""
    content = (PYDICOM_DATA / "test_files" / name).read_bytes()
    syntax = str(read_header(content).file_meta.TransferSyntaxUID)
    raw = _outcome(lambda: read_header(content), syntax)
    assert raw == _outcome(lambda: _converted(lambda: read_header(content)), syntax)
