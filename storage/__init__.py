"""SQLite index and file store of the archive. Knows nothing of DIMSE, pynetdicom or HTTP."""

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
