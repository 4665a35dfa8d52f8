"""C-FIND response identifiers: exactly the requested keys (PS3.4 C.4.1.1.3.2).

Values come from the index row. Requested keys the index does not hold are read from the header
of the level's first stored instance (pixel data is never read); keys nobody stored are returned
empty, as an archive returns an unsupported return key.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from storage.attributes import RESPONSE_ONLY, Attribute
from storage.matching import FindRequest, RequestedKey
from storage.records import text

HeaderLoader = Callable[[str], Dataset | None]

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


def build_response(
    row: sqlite3.Row, request: FindRequest, retrieve_ae: str, load_header: HeaderLoader
) -> Dataset:
    """The pending-response identifier for one matching *row*."""
    ds = Dataset()
    header: Dataset | None = None
    header_loaded = False
    for key in request.keys:
        if key.keyword in RESPONSE_ONLY:
            continue
        if key.attribute is not None:
            ds.add_new(key.tag, key.vr, _indexed_value(key.attribute, row, key))
            continue
        if key.lower:
            ds.add_new(key.tag, key.vr, [] if key.vr == "SQ" else None)
            continue
        if not header_loaded:
            header_loaded = True
            path = row["_path"]  # selected whenever a key needs the header (parse_find)
            header = load_header(path) if path else None
        if header is not None and key.tag in header:
            ds[key.tag] = header[key.tag]
        else:
            ds.add_new(key.tag, key.vr, [] if key.vr == "SQ" else None)
    ds.QueryRetrieveLevel = request.level.name
    ds.RetrieveAETitle = retrieve_ae
    stored_charset = text(row["_charset"])
    if needs_unicode(ds):
        # Values are decoded text; send them in the character set they arrived in if it has
        # one, else in UTF-8 (PS3.5 §6.1.2.3, ISO_IR 192).
        ds.SpecificCharacterSet = (
            (stored_charset.split("\\") if "\\" in stored_charset else stored_charset)
            if stored_charset not in ("", "ISO_IR 6")
            else "ISO_IR 192"
        )
    elif request.charset:
        ds.SpecificCharacterSet = request.charset.split("\\")
    return ds
