"""Storage errors. They carry no DIMSE codes: ``emulator.errors`` maps them.

Hierarchy::

    StorageError
    ├── InvalidInstance      a dataset the archive will not index (bad or missing UIDs, unreadable)
    │   └── UnreadableInstance   the bytes do not decode as a DICOM dataset
    ├── InvalidIdentifier    a C-FIND identifier that does not fit the information model
    │   └── UnreadableIdentifier the identifier's values cannot be decoded
    ├── InstanceNotFound     no such SOP Instance in the index
    ├── StorageFull          the data directory cannot take more bytes
    ├── UnknownPatient       no patient with that ID (a patient change, ADT)
    └── PatientConflict      a patient change that cannot be made (merge into itself...)
"""

from __future__ import annotations


class StorageError(Exception):
    """Base class of every error raised by :mod:`storage`."""


class InvalidInstance(StorageError):
    """A dataset that cannot be indexed; ``tag`` names the offending element if known."""

    def __init__(self, message: str, tag: int | None = None) -> None:
        super().__init__(message)
        self.tag = tag


class UnreadableInstance(InvalidInstance):
    """The received bytes could not be decoded as a DICOM dataset."""


class InvalidIdentifier(StorageError):
    """A query identifier that does not fit the information model or level."""

    def __init__(self, message: str, tag: int | None = None) -> None:
        super().__init__(message)
        self.tag = tag


class InstanceNotFound(StorageError):
    """No instance with that SOP Instance UID is indexed."""


class StorageFull(StorageError):
    """The file store ran out of space (or hit its configured limit)."""


class UnreadableIdentifier(InvalidIdentifier):
    """The identifier's values could not be decoded at all."""


class UnknownPatient(StorageError):
    """No patient with that ID (and issuer) in the index or the worklist."""


class PatientConflict(StorageError):
    """A patient change that cannot be made: a merge into itself, an ID taken, an ID that
    names more than one patient."""
