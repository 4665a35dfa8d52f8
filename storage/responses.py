"""C-FIND response identifiers, Query/Retrieve and Modality Worklist: exactly the requested
keys (PS3.4 C.4.1.1.3.2, K.2.2.1.2), in one character set rule (:func:`_character_set`).

Q/R values come from the index row. Requested keys the index does not hold are read from the
header of the level's first stored instance (pixel data is never read); keys nobody stored are
returned empty, as an archive returns an unsupported return key.

Worklist values come from the stored item (C.2.2.3): every key of the identifier, with the
item's value when it has one and zero length otherwise; a sequence key with an item returns,
for each of the item's sequence items, just the keys of that query item (recursively); a
sequence key without items returns the item's whole sequence.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from copy import deepcopy
from typing import Any

from pydicom import config
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag

from storage.attributes import RESPONSE_ONLY, Attribute
from storage.matching import FindRequest, RequestedKey
from storage.records import text
from storage.values import encodable

HeaderLoader = Callable[[int], Dataset | None]  # an instance's row key -> its header

_CHARSET = 0x00080005  # Specific Character Set
# VRs whose values are text in the Specific Character Set (PS3.5 §6.1.2.3)
_TEXT_VRS = frozenset({"PN", "LO", "SH", "LT", "ST", "UT", "UC"})


def _sequence_items(attribute: Attribute, stored: str, key: RequestedKey) -> Sequence:
    """Stored sequence items, limited to the item keys the query asked for (if any)."""
    query_items = list(key.value or [])
    wanted = [k for k, _ in attribute.items]
    if query_items and len(query_items[0]):
        wanted = [k for k in wanted if k in query_items[0]]
    items = []
    for stored_item in json.loads(stored or "[]"):
        item = Dataset()
        for keyword in wanted:
            setattr(item, keyword, stored_item.get(keyword, ""))
        items.append(item)
    return Sequence(items)


def _indexed_value(attribute: Attribute, row: sqlite3.Row, key: RequestedKey) -> Any:
    value = row[attribute.keyword]
    if attribute.kind == "seq":
        return _sequence_items(attribute, value, key)
    if attribute.kind == "list":
        return value.split("\\") if value else ""
    if attribute.kind in ("int", "count"):
        return "" if value is None else int(value)
    return value if value is not None else ""


def needs_unicode(ds: Dataset) -> bool:
    """Whether any text value of *ds* (or its sequences) is not plain ASCII."""
    for elem in ds:
        if elem.VR == "SQ":
            if any(needs_unicode(item) for item in elem.value):
                return True
        elif elem.VR in _TEXT_VRS and elem.value is not None and not str(elem.value).isascii():
            return True
    return False


def _fits(ds: Dataset, charset: str) -> bool:
    """Whether every text value of *ds* (not its sequences) can be written in *charset*."""
    return all(
        encodable(str(elem.value), charset)
        for elem in ds
        if elem.VR in _TEXT_VRS and elem.value is not None
    )


# text VRs a plain response writes as they are (PS3.5 6.2): UI pads with NUL, others a space
_PLAIN_VRS = frozenset(
    {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UI", "UT"}
)


def _plain_bytes(vr: str, value: object) -> bytes | None:
    """*value* of a text *vr* as its encoded bytes, padded to even length; None unless it is
    ASCII text (or numbers written as text) that needs no character set."""
    if vr not in _PLAIN_VRS:
        return None
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) or (type(v) is int and vr == "IS") for v in values):
        return None
    joined = "\\".join(str(v) for v in values)
    if not joined.isascii():
        return None
    raw = joined.encode("ascii")
    return raw + (b"\x00" if vr == "UI" else b" ") if len(raw) % 2 else raw


def _raw(tag: int, vr: str, value: bytes) -> RawDataElement:
    return RawDataElement(BaseTag(tag), vr, len(value), value, 0, True, True, True, False)


def _plain_response(row: sqlite3.Row, request: FindRequest, retrieve_ae: str) -> Dataset | None:
    """The identifier of :func:`build_response` as raw elements holding their encoded values,
    when every key is answered from the index in plain ASCII text (the usual C-FIND):
    pydicom converts a raw element only if someone reads it, and the wire's encoder
    (``emulator/dicom/identifiers.py``) writes the bytes as they are. None otherwise."""
    ds = Dataset()
    for key in request.keys:
        if key.keyword in RESPONSE_ONLY:
            continue
        if key.attribute is None:
            if not key.lower or key.vr == "SQ":
                return None  # a key only the instance's header holds; a sequence
            ds[key.tag] = _raw(key.tag, key.vr, b"")
            continue
        if key.attribute.kind == "seq":
            return None
        value = _plain_bytes(key.vr, _indexed_value(key.attribute, row, key))
        if value is None:
            return None
        ds[key.tag] = _raw(key.tag, key.vr, value)
    for tag, vr, text_value in (
        (0x00080052, "CS", request.level.name),
        (0x00080054, "AE", retrieve_ae),
    ):
        encoded = _plain_bytes(vr, text_value)
        if encoded is None:
            return None
        ds[tag] = _raw(tag, vr, encoded)
    if request.charset:  # plain ASCII answers in the set the query named (_character_set)
        ds.SpecificCharacterSet = request.charset.split("\\")
    return ds


def build_response(
    row: sqlite3.Row,
    request: FindRequest,
    retrieve_ae: str,
    load_header: HeaderLoader,
    for_the_wire: bool = False,
) -> Dataset:
    """The pending-response identifier for one matching *row*. *for_the_wire*: it will be
    encoded, not read (a C-FIND's), so plain answers may be raw elements
    (:func:`_plain_response`); an answer that will be read (QIDO-RS's JSON) is built of
    elements, which reads faster than raw ones converted one by one."""
    plain = _plain_response(row, request, retrieve_ae) if for_the_wire else None
    if plain is not None:
        return plain
    ds = Dataset()
    header: Dataset | None = None
    header_loaded = False
    for key in request.keys:
        if key.keyword in RESPONSE_ONLY:
            continue
        if key.attribute is not None:
            # values the index holds were checked when they were stored: not again per match
            value = _indexed_value(key.attribute, row, key)
            ds.add(DataElement(key.tag, key.vr, value, validation_mode=config.IGNORE))
            continue
        if key.lower:
            ds.add_new(key.tag, key.vr, [] if key.vr == "SQ" else None)
            continue
        if not header_loaded:
            header_loaded = True
            first = row["_first"]  # selected whenever a key needs the header (parse_find)
            header = load_header(first) if first is not None else None
        if header is not None and key.tag in header:
            ds[key.tag] = header[key.tag]
        else:
            ds.add_new(key.tag, key.vr, [] if key.vr == "SQ" else None)
    ds.add(DataElement(0x00080052, "CS", request.level.name, validation_mode=config.IGNORE))
    ds.add(DataElement(0x00080054, "AE", retrieve_ae, validation_mode=config.IGNORE))
    requested = request.charset.split("\\") if request.charset else None
    _character_set(ds, row["_charset"], requested)
    return ds


def worklist_response(query: Dataset, item: Dataset) -> Dataset:
    """The pending-response identifier for one matching worklist *item*."""
    ds = _project(query, item)
    _character_set(ds, item.get("SpecificCharacterSet"), query.get("SpecificCharacterSet"))
    return ds


def _project(query: Dataset, item: Dataset) -> Dataset:
    """The keys of *query*, valued from *item* (PS3.4 C.2.2.3 return key rules)."""
    out = Dataset()
    for elem in query:
        if elem.tag == _CHARSET:
            continue
        if elem.tag not in item:
            out.add_new(elem.tag, elem.VR, [] if elem.VR == "SQ" else None)
            continue
        source = item[elem.tag]
        if elem.VR == "SQ" and source.VR == "SQ" and elem.value:
            out.add_new(elem.tag, "SQ", [_project(elem.value[0], one) for one in source.value])
        else:
            out.add(deepcopy(source))
    return out


def _character_set(ds: Dataset, stored: object, requested: object) -> None:
    """The response's Specific Character Set (PS3.5 6.1.2.3). Values are decoded text: with
    any beyond ASCII they go in the character set they were stored in if it has one, else in
    UTF-8 (ISO_IR 192); plain ASCII answers in the set the query named, if it named one."""
    if needs_unicode(ds):
        charset = text(stored)
        if charset in ("", "ISO_IR 6") or not _fits(ds, charset):  # a patient renamed by ADT
            ds.SpecificCharacterSet = "ISO_IR 192"
        else:
            ds.SpecificCharacterSet = charset.split("\\") if "\\" in charset else charset
    elif requested:
        ds.SpecificCharacterSet = requested
