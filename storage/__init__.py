"""SQLite index and file store of the archive. Knows nothing of DIMSE, pynetdicom or HTTP.

The names below are imported from their modules when first read (PEP 562), so that importing
one light module of the package (its errors, its attributes) does not import the index and
SQLite's wrapper: the DICOM listener starts before the index is opened.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.attributes import ATTRIBUTES, Level, Model
    from storage.errors import (
        InstanceNotFound,
        InvalidIdentifier,
        InvalidInstance,
        StorageError,
        StorageFull,
        UnreadableIdentifier,
        UnreadableInstance,
    )
    from storage.filestore import FileStore
    from storage.index import Index
    from storage.instances import InstanceSource
    from storage.locations import StoredInstance
    from storage.matching import (
        FindRequest,
        MatchOptions,
        RetrieveRequest,
        parse_find,
        parse_retrieve,
    )
    from storage.records import InstanceRecord, read_header, read_received, record_from_dataset
    from storage.responses import build_response
    from storage.uids import is_valid_uid, uid_problem

_HOMES = {
    "storage.attributes": ("ATTRIBUTES", "Level", "Model"),
    "storage.errors": (
        "InstanceNotFound",
        "InvalidIdentifier",
        "InvalidInstance",
        "StorageError",
        "StorageFull",
        "UnreadableIdentifier",
        "UnreadableInstance",
    ),
    "storage.filestore": ("FileStore",),
    "storage.index": ("Index",),
    "storage.instances": ("InstanceSource",),
    "storage.locations": ("StoredInstance",),
    "storage.matching": (
        "FindRequest",
        "MatchOptions",
        "RetrieveRequest",
        "parse_find",
        "parse_retrieve",
    ),
    "storage.records": ("InstanceRecord", "read_header", "read_received", "record_from_dataset"),
    "storage.responses": ("build_response",),
    "storage.uids": ("is_valid_uid", "uid_problem"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "ATTRIBUTES",
    "FileStore",
    "FindRequest",
    "Index",
    "InstanceNotFound",
    "InstanceRecord",
    "InstanceSource",
    "InvalidIdentifier",
    "InvalidInstance",
    "Level",
    "MatchOptions",
    "Model",
    "RetrieveRequest",
    "StorageError",
    "StorageFull",
    "StoredInstance",
    "UnreadableIdentifier",
    "UnreadableInstance",
    "build_response",
    "is_valid_uid",
    "parse_find",
    "parse_retrieve",
    "read_header",
    "read_received",
    "record_from_dataset",
    "uid_problem",
]


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'storage' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
