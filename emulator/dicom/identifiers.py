"""C-FIND response identifiers encoded without pydicom's writer where they are plain.

A C-FIND answering 1,000 studies encodes 1,000 identifiers. pydicom's ``write_dataset`` costs
~0.1 ms for one of ten elements (a writer object, a context manager and a character-set
lookup per element); most of a large C-FIND went there. The identifiers the emulator builds
(``storage/responses.py``, ``storage/worklist.py``) are mostly short ASCII text, so
:func:`encode` writes those elements itself in Implicit or Explicit VR Little Endian, and hands
any data set with something else (a sequence, binary or non-ASCII values, another transfer
syntax) to pydicom whole. The bytes are the same either way (``tests/unit/test_identifiers.py``
compares them).
"""

from __future__ import annotations

import struct

from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.uid import UID
from pynetdicom.dsutils import encode as pynetdicom_encode

# string VRs, written as their text (PS3.5 6.2); UI pads with NUL, the others with a space
_TEXT_VRS = frozenset(
    {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC"}
    | {"UI", "UR", "UT"}
)
_INT_VRS = {"US": "H", "UL": "L", "SS": "h", "SL": "l"}
# Explicit VR: these have two reserved bytes and a 4-byte length (PS3.5 7.1.2)
_LONG_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT"})

_IMPLICIT = struct.Struct("<HHL")
_EXPLICIT_SHORT = struct.Struct("<HH2sH")
_EXPLICIT_LONG = struct.Struct("<HH2s2xL")


def encode(ds: Dataset, syntax: UID) -> bytes | None:
    """*ds* encoded in *syntax* (None: pydicom could not encode it either)."""
    if syntax.is_little_endian and not syntax.is_deflated:
        fast = _encode_plain(ds, syntax.is_implicit_VR)
        if fast is not None:
            return fast
    return pynetdicom_encode(ds, syntax.is_implicit_VR, syntax.is_little_endian, syntax.is_deflated)


def _encode_plain(ds: Dataset, implicit: bool) -> bytes | None:
    """The elements of *ds*, if all are plain (else None)."""
    out = []
    for tag in sorted(ds.keys()):
        found = ds.get_item(tag)
        if isinstance(found, RawDataElement):  # built with its value's bytes (responses.py)
            value, vr = _raw_value(found)
            if value is None:
                found = ds[tag]  # converted, then written as any element
        if not isinstance(found, RawDataElement):
            if not isinstance(found, DataElement):
                return None
            vr, value = found.VR, _value(found.VR, found.value)
        if value is None or vr is None:
            return None
        group, element = tag >> 16, tag & 0xFFFF
        if implicit:
            out.append(_IMPLICIT.pack(group, element, len(value)))
        elif vr in _LONG_VRS:
            out.append(_EXPLICIT_LONG.pack(group, element, vr.encode(), len(value)))
        elif len(value) <= 0xFFFF:
            out.append(_EXPLICIT_SHORT.pack(group, element, vr.encode(), len(value)))
        else:
            return None
        out.append(value)
    return b"".join(out)


def _raw_value(raw: RawDataElement) -> tuple[bytes | None, str | None]:
    """The bytes of a raw text element to write as they are, and its VR; (None, VR) for
    anything else (converted and written as any element then)."""
    vr, value = raw.VR, raw.value
    if not isinstance(value, bytes) or len(value) % 2:
        return None, vr
    if vr in _TEXT_VRS:
        return value, vr
    return None, vr


def _value(vr: str, value: object) -> bytes | None:
    """The encoded value of a plain element, padded to even length (None: not plain)."""
    if value is None or value == "":
        return b""
    values = list(value) if isinstance(value, (list, tuple, MultiValue)) else [value]
    if vr in _TEXT_VRS:
        texts = []
        for v in values:
            if isinstance(v, bytes) or (isinstance(v, (int, float)) and vr not in ("IS", "DS")):
                return None
            original = getattr(v, "original_string", None)  # IS and DS as received
            texts.append("" if v is None else original if isinstance(original, str) else str(v))
        joined = "\\".join(texts)
        if not joined.isascii():
            return None  # the character set decides: pydicom's job
        raw = joined.encode("ascii")
        if len(raw) % 2:
            raw += b"\x00" if vr == "UI" else b" "
        return raw
    code = _INT_VRS.get(vr)
    if code is None or not all(type(v) is int for v in values):
        return None  # sequences, binary, AT, floats: pydicom's job
    try:
        return struct.pack(f"<{len(values)}{code}", *values)
    except struct.error:
        return None
