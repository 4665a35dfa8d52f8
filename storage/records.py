"""Index records: the column values one instance contributes to each level's table."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO
from typing import Any, BinaryIO

from pydicom import dcmread
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag
from pydicom.uid import UID

from storage.attributes import BY_KEYWORD, Attribute, Level, stored
from storage.errors import InvalidInstance, UnreadableInstance
from storage.uids import uid_problem
from storage.values import da_norm, dt_norm, fold, pn_alpha, pn_norm, tm_norm

log = logging.getLogger(__name__)

# Tags named in InvalidInstance errors (OffendingElement in a C-STORE response).
_UID_TAGS = {
    "StudyInstanceUID": 0x0020000D,
    "SeriesInstanceUID": 0x0020000E,
    "SOPInstanceUID": 0x00080018,
    "SOPClassUID": 0x00080016,
}


@dataclass(frozen=True, slots=True)
class InstanceRecord:
    """What the index stores for one instance: its UIDs and one column dict per level."""

    sop_instance_uid: str
    sop_class_uid: str
    series_instance_uid: str
    study_instance_uid: str
    transfer_syntax_uid: str
    columns: dict[Level, dict[str, Any]] = field(default_factory=dict)


def text(value: object) -> str:
    """A DICOM element value as one string (multiple values joined with ``\\``)."""
    if value is None:
        return ""
    if isinstance(value, (MultiValue, list, tuple)):
        return "\\".join(text(v) for v in value)
    if isinstance(value, bytes):
        return value.decode("ascii", "replace").strip("\x00 ")
    return str(value).strip()


def _integer(value: object) -> int | None:
    if isinstance(value, (MultiValue, list, tuple)):
        value = value[0] if value else None
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def _sequence(value: object, attribute: Attribute) -> str:
    items = []
    for item in value if isinstance(value, (Sequence, list)) else []:
        if isinstance(item, Dataset):
            items.append({k: text(item.get(k)) for k, _ in attribute.items if k in item})
    return json.dumps(items, ensure_ascii=False)


def attribute_columns(attribute: Attribute, value: object) -> dict[str, Any]:
    """The column values for *attribute* holding *value* (see ``schema.value_columns``)."""
    c = attribute.column
    if attribute.kind == "pn":
        raw = text(value)
        alpha = pn_alpha(raw)
        return {c: raw, f"{c}_alpha": alpha, f"{c}_fold": fold(alpha), f"{c}_norm": pn_norm(raw)}
    if attribute.kind == "tm":
        raw = text(value)
        return {c: raw, f"{c}_n": tm_norm(raw)}
    if attribute.kind == "dt":
        raw = text(value)
        return {c: raw, f"{c}_n": dt_norm(raw)}
    if attribute.kind == "da":
        return {c: da_norm(text(value))}
    if attribute.kind == "int":
        return {c: _integer(value)}
    if attribute.kind == "seq":
        return {c: _sequence(value, attribute)}
    return {c: text(value)}


# Text VRs whose value is plain ASCII when every byte is: decoded here without pydicom's
# general conversion, which dominates the cost of indexing a store (PS3.5 Table 6.2-1).
_ASCII_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "PN", "SH", "TM", "UI"})
# as pydicom's own tags: a lookup by BaseTag skips the conversion an int takes
_TAGS = {
    keyword: BaseTag(tag)
    for keyword, tag in (
        *((k, tag_for_keyword(k)) for k in BY_KEYWORD),
        ("SpecificCharacterSet", 0x00080005),
        *_UID_TAGS.items(),
    )
    if tag is not None
}


# the binary integer VRs read straight from a little endian value: (size, signed)
_BINARY_VRS = {"US": (2, False), "SS": (2, True), "UL": (4, False), "SL": (4, True)}


def _get(ds: Dataset, keyword: str) -> object:
    """Read one element, tolerating values pydicom cannot convert (logged, stored empty)."""
    return _value(ds, _TAGS.get(keyword) or tag_for_keyword(keyword), keyword)


def _value(ds: Dataset, tag: int | None, keyword: str) -> object:
    """The value of *tag* in *ds*, or None. An element still raw, of a text VR and all
    ASCII (no ISO 2022 escape), is decoded directly, as is a single little endian US, SS,
    UL or SL; anything else goes through pydicom's conversion (~15 us an element)."""
    if tag is None:
        return None
    try:
        elem = ds.get_item(tag)
        if elem is None:
            return None
        value = elem.value
        if isinstance(value, bytes):
            vr = elem.VR or dictionary_VR(tag)
            if vr in _ASCII_VRS and value.isascii() and b"\x1b" not in value:
                return value.decode("ascii").strip(" \x00")
            binary = _BINARY_VRS.get(vr)
            if binary is not None and len(value) == binary[0] and ds.original_encoding[1]:
                return int.from_bytes(value, "little", signed=binary[1])
        return ds[tag].value
    except Exception as exc:  # a broken value must not lose the instance
        log.warning("unreadable %s (%s): indexed as empty", keyword, exc)
        return None


# each level's stored attributes with their tags, looked up once
_PLANS = {
    level: tuple((a, _TAGS.get(a.keyword) or tag_for_keyword(a.keyword)) for a in stored(level))
    for level in Level
}
_CHARSET = BaseTag(0x00080005)
_TEXT_KINDS = frozenset({"str", "uid"})  # one column holding text(value)


def level_columns(ds: Dataset, level: Level) -> dict[str, Any]:
    """Column values of *level* taken from *ds*."""
    columns: dict[str, Any] = {}
    for attribute, tag in _PLANS[level]:
        value = _value(ds, tag, attribute.keyword)
        if attribute.kind in _TEXT_KINDS and (value is None or type(value) is str):
            columns[attribute.column] = value.strip() if value else ""  # as text() makes it
        else:
            columns.update(attribute_columns(attribute, value))
    columns["charset"] = text(_value(ds, _CHARSET, "SpecificCharacterSet"))
    return columns


def record_from_dataset(ds: Dataset, transfer_syntax_uid: str) -> InstanceRecord:
    """Validate the UIDs of *ds* and build its index record.

    Raises
    ------
    InvalidInstance
        If a Study, Series or SOP Instance UID or the SOP Class UID is missing or invalid.
    UnreadableInstance
        If an indexed sequence nests too deep to decode (pydicom reads sequences recursively).
    """
    try:
        return _record(ds, transfer_syntax_uid)
    except RecursionError:
        raise UnreadableInstance("dataset cannot be decoded: sequences nested too deep") from None


def _record(ds: Dataset, transfer_syntax_uid: str) -> InstanceRecord:
    uids = {}
    for keyword, tag in _UID_TAGS.items():
        value = text(_get(ds, keyword))
        problem = uid_problem(value)
        if problem:
            raise InvalidInstance(f"{keyword} {problem}", tag=tag)
        uids[keyword] = value
    columns = {level: level_columns(ds, level) for level in Level}
    return InstanceRecord(
        sop_instance_uid=uids["SOPInstanceUID"],
        sop_class_uid=uids["SOPClassUID"],
        series_instance_uid=uids["SeriesInstanceUID"],
        study_instance_uid=uids["StudyInstanceUID"],
        transfer_syntax_uid=transfer_syntax_uid,
        columns=columns,
    )


def read_header(part10: bytes | BinaryIO) -> Dataset:
    """Decode the header of Part 10 bytes or an open file (pixel data is not read).

    Raises
    ------
    UnreadableInstance
        If the bytes are not a readable DICOM dataset.
    """
    stream = BytesIO(part10) if isinstance(part10, bytes) else part10
    # Structure is decoded here (an undecodable data set fails now); element values are
    # converted lazily, only those the index reads. The stored bytes stay as received.
    return _decoded(lambda: dcmread(stream, stop_before_pixels=True, force=False))


def read_received(data: bytes | memoryview, transfer_syntax_uid: str) -> Dataset | None:
    """Decode the header of a data set received in *transfer_syntax_uid*, without File
    Meta Information (a C-STORE's), as :func:`read_header` decodes it from its Part 10
    file: the emulator writes that file's meta information itself, and reading it back cost
    more than the rest of the header. None for a syntax whose data set is not read as it
    stands (deflated, or unknown): the caller reads the Part 10 file then.

    Raises
    ------
    UnreadableInstance
        If the bytes are not a readable DICOM dataset.
    """
    encoding = _encoding(transfer_syntax_uid)
    if encoding is None:
        return None
    stream = BytesIO(data)
    return _decoded(lambda: read_dataset(stream, *encoding, stop_when=_at_pixels))


@lru_cache(maxsize=256)
def _encoding(transfer_syntax_uid: str) -> tuple[bool, bool] | None:
    """(implicit VR, little endian) of a syntax whose data set is read as it stands; None
    for a deflated or unknown one (a UID built and checked once per syntax, not per store)."""
    syntax = UID(transfer_syntax_uid)
    if not syntax.is_transfer_syntax or syntax.is_deflated:
        return None
    return syntax.is_implicit_VR, syntax.is_little_endian


def _at_pixels(tag: int, vr: str | None, length: int) -> bool:
    """(7FE0,0010), (7FE0,0009) or (7FE0,0008), as dcmread's ``stop_before_pixels`` (on the
    int's bits: a pydicom tag's own comparison is a Python call per element)."""
    return tag >> 16 == 0x7FE0 and (tag & 0xFFFF) in (0x0010, 0x0009, 0x0008)


def _decoded(read: Callable[[], Dataset]) -> Dataset:
    try:
        return read()
    except RecursionError:
        raise UnreadableInstance("dataset cannot be decoded: sequences nested too deep") from None
    except InvalidDicomError as exc:
        raise UnreadableInstance(
            "not a DICOM Part 10 file: it needs the 128-byte preamble, 'DICM' and the file"
            " meta information"
        ) from exc
    except (EOFError, ValueError, OSError, KeyError) as exc:
        raise UnreadableInstance(f"dataset cannot be decoded: {exc}") from exc
