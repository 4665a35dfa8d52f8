"""Emulator errors and the one table that maps errors to DIMSE statuses.

Hierarchy::

    EmulatorError
    ├── ConfigError          bad settings (file, key and problem for each)
    ├── StartupError         a listener could not start (port in use, data dir unusable)
    ├── UnknownMoveDestination  a C-MOVE destination AE title nobody registered
    ├── ExportError          an export that cannot start or be written
    ├── ResetError           a reset naming a part the emulator does not have
    ├── InvalidWorklistItem  a worklist item that cannot be stored (what is wrong with it)
    └── RequestRefused       a DIMSE-N request refused (MPPS PS3.4 F.7.2, commitment J.3)
        ├── InvalidAttributeValue   0x0106: a status or attribute value not allowed
        ├── MissingAttribute        0x0120: a Type 1 attribute is missing
        ├── StepNotUpdatable        0x0110: not IN PROGRESS any more, or a final state
        │                           without what it needs
        ├── NoSuchAction            0x0123: an N-ACTION type the SOP class does not have
        └── NoSuchObjectInstance    0x0112: not the SOP instance the request must name

Storage errors (:mod:`storage.errors`) carry no DIMSE codes; :func:`status_for` maps them, per
service, following the status tables of PS3.4 (Annex B storage, Annex C query/retrieve).
"""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from storage.errors import (
    InvalidIdentifier,
    InvalidInstance,
    StorageError,
    StorageFull,
    UnreadableIdentifier,
    UnreadableInstance,
)
from storage.procedure_steps import DuplicateStep, NoSuchStep


class EmulatorError(Exception):
    """Base class of every error the emulator reports to a user."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def __str__(self) -> str:
        message = super().__str__()
        if self.problems:
            return message + ":\n  " + "\n  ".join(self.problems)
        return message


class ConfigError(EmulatorError):
    """Settings that cannot be used; ``problems`` lists each with its source and key."""


class StartupError(EmulatorError):
    """A listener or the data directory could not be set up."""


class UnknownMoveDestination(EmulatorError):
    """A C-MOVE destination AE title that is not registered (PS3.4 C.4.2.1.4: 0xA801)."""

    def __init__(self, message: str, ae_title: str) -> None:
        super().__init__(message)
        self.ae_title = ae_title


class ExportError(EmulatorError):
    """An export whose target, studies or File-set cannot be used (the message says why)."""


class FabricationConflict(EmulatorError):
    """A fabrication whose studies are already in the archive (the same seed made them)."""


class AcquisitionRefused(EmulatorError):
    """A worklist item that cannot become a study: already done, or of a modality the
    emulator does not fabricate (the message says which)."""


class ResetError(EmulatorError):
    """A reset that names a part the emulator does not have."""


class InvalidWorklistItem(EmulatorError):
    """A worklist item (DICOM JSON, an HL7 order) that cannot be stored, and why."""


class RequestRefused(EmulatorError):
    """A DIMSE-N request (MPPS, Storage Commitment) refused; ``tag`` names the attribute."""

    def __init__(self, message: str, tag: int | None = None) -> None:
        super().__init__(message)
        self.tag = tag


class InvalidAttributeValue(RequestRefused):
    """A value the step may not take (PS3.7 C.4.1: 0x0106)."""


class MissingAttribute(RequestRefused):
    """A required attribute is missing (PS3.7 C.4.1: 0x0120)."""


class StepNotUpdatable(RequestRefused):
    """PS3.4 F.7.2.2.2: the step may no longer be updated, or its final state lacks what it
    needs (0x0110 Processing failure)."""


class NoSuchAction(RequestRefused):
    """An N-ACTION type the SOP class does not define (PS3.7 C.4.1: 0x0123)."""


class NoSuchObjectInstance(RequestRefused):
    """A Requested SOP Instance UID the SOP class does not have (0x0112)."""


# -- DIMSE status codes (named; never bare hex in handlers or services) ------------------------

SUCCESS = 0x0000
PENDING = 0xFF00  # PS3.4 C.4.1.1.4: matches are continuing
PENDING_WARNING = 0xFF01  # ... optional keys not supported for existence or matching
CANCEL = 0xFE00  # matching/sub-operations terminated due to a C-CANCEL request
PROCESSING_FAILURE = 0x0110  # PS3.7 C: general failure (e.g. of C-ECHO)

# PS3.4 Table B.2-1 (Storage Service Class)
STORE_OUT_OF_RESOURCES = 0xA700
STORE_DATASET_MISMATCH = 0xA900  # Error: Data Set does not match SOP Class
STORE_CANNOT_UNDERSTAND = 0xC000

# PS3.4 Table C.4-1 (Query/Retrieve FIND)
FIND_OUT_OF_RESOURCES = 0xA700
FIND_IDENTIFIER_MISMATCH = 0xA900  # Failed: Identifier does not match SOP Class
FIND_UNABLE_TO_PROCESS = 0xC000

# PS3.4 Tables C.4-2 (C-MOVE) and C.4-3 (C-GET)
RETRIEVE_OUT_OF_RESOURCES_MATCHES = 0xA701  # unable to calculate number of matches
RETRIEVE_OUT_OF_RESOURCES_SUBOPS = 0xA702  # unable to perform sub-operations
MOVE_DESTINATION_UNKNOWN = 0xA801
RETRIEVE_IDENTIFIER_MISMATCH = 0xA900
RETRIEVE_UNABLE_TO_PROCESS = 0xC000
RETRIEVE_SOME_FAILED = 0xB000  # Warning: sub-operations complete, one or more failures

# PS3.7 Annex C (DIMSE-N statuses), as PS3.4 F.7.2 uses them for MPPS
INVALID_ATTRIBUTE_VALUE = 0x0106
DUPLICATE_SOP_INSTANCE = 0x0111
NO_SUCH_OBJECT_INSTANCE = 0x0112
MISSING_ATTRIBUTE = 0x0120
NO_SUCH_ACTION = 0x0123

# (service, exception type) → status; the most specific type listed wins (MRO order).
STATUS_TABLE: dict[tuple[str, type[BaseException]], int] = {
    ("C-STORE", UnreadableInstance): STORE_CANNOT_UNDERSTAND,
    ("C-STORE", InvalidInstance): STORE_DATASET_MISMATCH,
    ("C-STORE", StorageFull): STORE_OUT_OF_RESOURCES,
    ("C-STORE", StorageError): STORE_OUT_OF_RESOURCES,
    ("C-STORE", OSError): STORE_OUT_OF_RESOURCES,
    ("C-STORE", Exception): STORE_CANNOT_UNDERSTAND,
    ("C-FIND", UnreadableIdentifier): FIND_UNABLE_TO_PROCESS,
    ("C-FIND", InvalidIdentifier): FIND_IDENTIFIER_MISMATCH,
    ("C-FIND", StorageError): FIND_OUT_OF_RESOURCES,
    ("C-FIND", Exception): FIND_UNABLE_TO_PROCESS,
    ("MWL", UnreadableIdentifier): FIND_UNABLE_TO_PROCESS,  # PS3.4 K.4.1.1.4: as C.4.1.1.4
    ("MWL", InvalidIdentifier): FIND_IDENTIFIER_MISMATCH,
    ("MWL", StorageError): FIND_OUT_OF_RESOURCES,
    ("MWL", Exception): FIND_UNABLE_TO_PROCESS,
    ("C-ECHO", Exception): PROCESSING_FAILURE,
    ("N-CREATE", DuplicateStep): DUPLICATE_SOP_INSTANCE,
    ("N-CREATE", InvalidAttributeValue): INVALID_ATTRIBUTE_VALUE,
    ("N-CREATE", MissingAttribute): MISSING_ATTRIBUTE,
    ("N-CREATE", Exception): PROCESSING_FAILURE,
    ("N-SET", NoSuchStep): NO_SUCH_OBJECT_INSTANCE,
    ("N-SET", InvalidAttributeValue): INVALID_ATTRIBUTE_VALUE,
    ("N-SET", MissingAttribute): MISSING_ATTRIBUTE,
    ("N-SET", StepNotUpdatable): PROCESSING_FAILURE,
    ("N-SET", Exception): PROCESSING_FAILURE,
    ("N-ACTION", NoSuchAction): NO_SUCH_ACTION,
    ("N-ACTION", NoSuchObjectInstance): NO_SUCH_OBJECT_INSTANCE,
    ("N-ACTION", InvalidAttributeValue): INVALID_ATTRIBUTE_VALUE,
    ("N-ACTION", MissingAttribute): MISSING_ATTRIBUTE,
    ("N-ACTION", Exception): PROCESSING_FAILURE,
    ("C-MOVE", UnknownMoveDestination): MOVE_DESTINATION_UNKNOWN,
    ("C-MOVE", UnreadableIdentifier): RETRIEVE_UNABLE_TO_PROCESS,
    ("C-MOVE", InvalidIdentifier): RETRIEVE_IDENTIFIER_MISMATCH,
    ("C-MOVE", StorageError): RETRIEVE_OUT_OF_RESOURCES_MATCHES,
    ("C-MOVE", Exception): RETRIEVE_UNABLE_TO_PROCESS,
    ("C-GET", UnreadableIdentifier): RETRIEVE_UNABLE_TO_PROCESS,
    ("C-GET", InvalidIdentifier): RETRIEVE_IDENTIFIER_MISMATCH,
    ("C-GET", StorageError): RETRIEVE_OUT_OF_RESOURCES_MATCHES,
    ("C-GET", Exception): RETRIEVE_UNABLE_TO_PROCESS,
}

ERROR_COMMENT_MAX = 64  # LO (PS3.5 Table 6.2-1)


# What a request can meet through no fault of the emulator: bad input (storage's validation,
# undecodable DICOM, bad values), a refusal, a full or failing disk. Answered with a status
# and one log line. Anything else is a bug: logged with its traceback and journaled as outcome
# "error" (which the pytest fixture fails a test on). Every surface's error boundary asks
# this: the DIMSE handlers and retrieve, the admin API's uploads, HL7 orders.
EXPECTED: tuple[type[BaseException], ...] = (
    EmulatorError,
    StorageError,
    OSError,
    InvalidDicomError,
    ValueError,
)


def is_expected(exc: BaseException) -> bool:
    """Whether *exc* is bad input or a refusal rather than a bug (see :data:`EXPECTED`)."""
    return isinstance(exc, EXPECTED)


def status_for(service: str, exc: BaseException) -> int:
    """The DIMSE status that answers *exc* raised while serving *service*."""
    for cls in type(exc).__mro__:
        status = STATUS_TABLE.get((service, cls))
        if status is not None:
            return status
    raise KeyError(f"no status mapped for {service}")


def error_comment(text: str) -> str:
    """*text* fitted to an ErrorComment (LO: 64 characters, no backslash)."""
    text = " ".join(text.replace("\\", "/").split())
    return text if len(text) <= ERROR_COMMENT_MAX else text[: ERROR_COMMENT_MAX - 3] + "..."


def status_dataset(status: int, comment: str = "", offending: int | None = None) -> Dataset:
    """A status Dataset with ErrorComment and OffendingElement (PS3.7 C.4)."""
    ds = Dataset()
    ds.Status = status
    if comment:
        ds.ErrorComment = error_comment(comment)
    if offending is not None:
        ds.OffendingElement = [offending]
    return ds
