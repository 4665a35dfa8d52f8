"""Modality Worklist C-FIND (PS3.4 Annex K): match in SQL, answer each step with the keys asked
(``storage/responses.py`` builds the identifiers, as it builds Q/R ones); worklist items from
DICOM JSON."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from pydicom.dataset import Dataset
from pydicom.valuerep import VR

from emulator.errors import CANCEL, PENDING, InvalidWorklistItem
from emulator.services import acquisition
from emulator.services.context import ServiceContext
from storage.errors import InvalidInstance
from storage.responses import worklist_response
from storage.worklist import split_steps

log = logging.getLogger(__name__)


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
    if ctx.config.hl7.acquire:  # simulated acquisition of every new order, as HL7 ones
        for worklist_id in ids:
            acquisition.schedule(ctx, worklist_id, f"worklist item {worklist_id} ({source})")
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
        yield PENDING, worklist_response(identifier, row.item)
