"""pynetdicom's ``set_uid``, remembering conformant UIDs.

Five of pynetdicom's modules take ``set_uid`` from its utils and run it on every UID they are
given: pydicom's validation, pynetdicom's, then ``is_valid`` (~10 us), some 20 times an
association and twice a C-STORE, mostly for the same few SOP class and transfer syntax UIDs.
:func:`cache_uids` gives them one that remembers the UIDs every check passes; anything else
takes pynetdicom's own path, its warnings and errors included
(``tests/unit/test_reactor.py`` holds the two to the same results).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydicom import config as pydicom_config
from pydicom.uid import UID
from pynetdicom import ae as ae_module
from pynetdicom import dimse_primitives, pdu_items, pdu_primitives, presentation
from pynetdicom.utils import set_uid

# pynetdicom's modules that take ``set_uid`` from its utils, for :func:`cache_uids`
_SET_UID_USERS = (ae_module, dimse_primitives, pdu_items, pdu_primitives, presentation)


@lru_cache(maxsize=16384)
def _conformant(value: str) -> UID | None:
    """*value* as the UID pynetdicom's ``set_uid`` would make of it without a word: None
    unless it is a valid, conformant UID (PS3.5 9.1), which every check it runs passes."""
    uid = UID(value, validation_mode=pydicom_config.IGNORE)
    return uid if uid == value and uid.is_valid else None  # padded: pydicom warns


def _set_uid(value: Any, name: str, allow_empty: bool = True, allow_none: bool = True,
             validate: bool = True) -> UID | None:  # fmt: skip
    """pynetdicom's ``set_uid``, remembering conformant UIDs: a UID costs ~10 us to check
    (pydicom's validation, pynetdicom's, then ``is_valid``), some 20 times an association
    and twice a C-STORE, mostly for the same few SOP class and transfer syntax UIDs."""
    if isinstance(value, bytes) and value.isascii():
        value = value.decode("ascii")
    if isinstance(value, str) and value:
        uid = _conformant(value)
        if uid is not None:
            return uid
    return set_uid(value, name, allow_empty, allow_none, validate)


def cache_uids() -> None:
    """Give pynetdicom's modules :func:`_set_uid` in place of ``set_uid`` (idempotent)."""
    for module in _SET_UID_USERS:
        module.set_uid = _set_uid  # type: ignore[attr-defined]
