"""Modality Worklist C-FIND (PS3.4 Annex K): match in SQL, answer each step with the keys asked.

Return keys (PS3.4 K.2.2.1.2, C.2.2.3): every key of the identifier, with the item's value when
it has one and zero length otherwise; a sequence key with an item returns, for each of the
item's sequence items, just the keys of that query item (recursively); a sequence key without
items returns the item's whole sequence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from copy import deepcopy

from pydicom.dataset import Dataset
from pydicom.valuerep import VR

from emulator.errors import CANCEL, PENDING, InvalidWorklistItem
from emulator.services.context import ServiceContext
from storage.errors import InvalidInstance
from storage.records import text
from storage.responses import needs_unicode
from storage.worklist import split_steps

log = logging.getLogger(__name__)

_CHARSET = 0x00080005


def project(query: Dataset, item: Dataset) -> Dataset:
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
            out.add_new(elem.tag, "SQ", [project(elem.value[0], one) for one in source.value])
        else:
            out.add(deepcopy(source))
    return out


def response(query: Dataset, item: Dataset) -> Dataset:
    """The pending-response identifier for one matching worklist *item*."""
    ds = project(query, item)
    charset = item.get("SpecificCharacterSet")
    if needs_unicode(ds):
        # Values are decoded text: send them in the item's character set, else in UTF-8.
        ds.SpecificCharacterSet = charset if text(charset) not in ("", "ISO_IR 6") else "ISO_IR 192"
    elif "SpecificCharacterSet" in query:
        ds.SpecificCharacterSet = query.SpecificCharacterSet
    return ds


def add_items(ctx: ServiceContext, body: object, source: str) -> list[int]:
    """Store worklist items given as DICOM JSON (PS3.18 Annex F): one object or a list.

    Raises
    ------
    InvalidWorklistItem
        Naming the item (by position) and what is wrong with it; nothing is stored then.
    """
    objects = body if isinstance(body, list) else [body]
    if not objects:
        raise InvalidWorklistItem("no worklist item given: send a DICOM JSON object or a list")
    items = []
    for n, obj in enumerate(objects):
        where = f"item {n}" if isinstance(body, list) else "the item"
        if not isinstance(obj, dict):
            raise InvalidWorklistItem(f"{where} is not a DICOM JSON object")
        try:
            item = Dataset.from_json(obj)
            for elem in item.iterall():
                VR(elem.VR)  # an unknown VR raises ValueError
            split_steps(item)  # validates before anything is stored
        except InvalidInstance as exc:
            raise InvalidWorklistItem(f"{where}: {exc}") from exc
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            if isinstance(exc, ValueError) or "data element" in str(exc):  # pydicom's words
                raise InvalidWorklistItem(f"{where} is not valid DICOM JSON: {exc}") from exc
            raise InvalidWorklistItem(  # Python's words ("'int' object is not subscriptable")
                f'{where} is not valid DICOM JSON: each key is a tag ("00100010") whose'
                ' value is an object {"vr": "PN", "Value": [...]} (PS3.18 F.2)'
            ) from exc
        items.append(item)
    ids = []
    for item in items:
        ids += ctx.worklist.add(item, source)
    log.info("worklist: %d step(s) added from %s", len(ids), source)
    return ids


def find(
    identifier: Dataset, ctx: ServiceContext, is_cancelled: Callable[[], bool]
) -> Iterator[tuple[int, Dataset | None]]:
    """Yield ``(PENDING, identifier)`` per matching step, or ``(CANCEL, None)`` once cancelled.

    Raises ``storage.InvalidIdentifier`` (0xA900) for a malformed matching key.
    """
    items = ctx.worklist.find(
        identifier, ctx.match_options, hide_final=ctx.config.worklist.hide_completed
    )
    for row in items:
        if is_cancelled():
            yield CANCEL, None  # PS3.4 K.4.1.3.1: matching terminated due to Cancel
            return
        yield PENDING, response(identifier, row.item)
