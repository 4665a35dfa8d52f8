"""pynetdicom's ``set_uid`` and ``set_ae``, remembering the values that pass their checks.

Five of pynetdicom's modules take ``set_uid`` from its utils and run it on every UID they are
given: pydicom's validation, pynetdicom's, then ``is_valid`` (~10 us), some 20 times an
association and twice a C-STORE, mostly for the same few SOP class and transfer syntax UIDs.
Six take ``set_ae``, whose check looks up the Unicode category of every character of an AE
title, 13 times an association, for the same few titles. :func:`cache_uids` gives them
versions that remember the values every check passes; anything else takes pynetdicom's own
path, its warnings and errors included (``tests/unit/test_reactor.py`` holds each pair to
the same results).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydicom import config as pydicom_config
from pydicom.uid import UID
from pynetdicom import _config, dimse_primitives, pdu, pdu_items, pdu_primitives, presentation
from pynetdicom import ae as ae_module
from pynetdicom import association as association_module
from pynetdicom.utils import set_ae, set_uid

# pynetdicom's modules that take ``set_uid`` and ``set_ae`` from its utils (cache_uids)
_SET_UID_USERS = (ae_module, dimse_primitives, pdu_items, pdu_primitives, presentation)
_SET_AE_USERS = (ae_module, association_module, dimse_primitives, pdu, pdu_items, pdu_primitives)


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


@lru_cache(maxsize=4096)
def _valid_ae(value: str, validator: Any) -> bool:
    """Does *value* (not blank) pass pynetdicom's AE check (*validator*, as configured)?"""
    return bool(validator(value)[0])


def _set_ae(value: Any, name: str, allow_empty: bool = True, allow_none: bool = True) -> str | None:
    """pynetdicom's ``set_ae``, remembering the AE titles that pass its check: a title that
    is not blank and has passed is returned as it is, as pynetdicom's would."""
    if isinstance(value, str) and value.strip() and _valid_ae(value, _config.VALIDATORS["AE"]):
        return value
    return set_ae(value, name, allow_empty, allow_none)


def cache_uids() -> None:
    """Give pynetdicom's modules :func:`_set_uid` and :func:`_set_ae` in place of
    ``set_uid`` and ``set_ae`` (idempotent)."""
    for module in _SET_UID_USERS:
        module.set_uid = _set_uid  # type: ignore[attr-defined]
    for module in _SET_AE_USERS:
        module.set_ae = _set_ae  # type: ignore[attr-defined]
