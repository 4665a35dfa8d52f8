"""C-STORE (PS3.4 Annex B): validate, write the bytes as received, then index.

The dataset is never decoded and re-encoded: the file holds exactly the bytes the client sent,
behind a File Meta Information header. Only the header is parsed, for the index keys.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from emulator.services.context import ServiceContext
from storage import (
    InstanceRecord,
    InvalidInstance,
    UnreadableInstance,
    read_header,
    read_received,
    record_from_dataset,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoreOutcome:
    """What a successful store did."""

    record: InstanceRecord
    path: str
    replaced: bool


def store_instance(
    part10: bytes,
    transfer_syntax_uid: str | None,
    command_sop_class: str | None,
    command_sop_instance: str | None,
    calling_ae: str,
    ctx: ServiceContext,
    study: str | None = None,
    data_set: bytes | memoryview | None = None,
) -> StoreOutcome:
    """Store one received instance atomically: file first, then the index row.

    The command's SOP Class and Instance UIDs (None when importing a file) must match the
    dataset's, and its Study Instance UID *study* when given (STOW-RS to one study). The
    transfer syntax is the presentation context's, or (None) the file meta's. *data_set*: the
    data set *part10* ends with, when the caller has it apart (read without the meta then).

    Raises
    ------
    storage.InvalidInstance
        Bad or missing UIDs, or a dataset that does not match the command (→ 0xA900);
        ``UnreadableInstance`` for bytes that do not decode (→ 0xC000).
    storage.StorageError
        The file or index write failed (→ 0xA700); nothing is left behind.
    """
    ds = None
    if data_set is not None and transfer_syntax_uid is not None:
        ds = read_received(data_set, transfer_syntax_uid)
    if ds is None:
        ds = read_header(part10)
    if transfer_syntax_uid is None:
        transfer_syntax_uid = str(ds.file_meta.get("TransferSyntaxUID", ""))
        if not transfer_syntax_uid:
            raise UnreadableInstance("the file meta information has no TransferSyntaxUID")
    record = record_from_dataset(ds, transfer_syntax_uid)
    # PS3.4 B.2.3: the data set must be of the SOP class / instance the command names.
    if command_sop_class is not None and record.sop_class_uid != command_sop_class:
        raise InvalidInstance(
            f"SOPClassUID {record.sop_class_uid} differs from the command's {command_sop_class}",
            tag=0x00080016,
        )
    if command_sop_instance is not None and record.sop_instance_uid != command_sop_instance:
        raise InvalidInstance(
            f"SOPInstanceUID {record.sop_instance_uid} differs from the command's"
            f" {command_sop_instance}",
            tag=0x00080018,
        )
    if study is not None and record.study_instance_uid != study:
        raise InvalidInstance(
            f"its Study Instance UID {record.study_instance_uid} is not {study}", tag=0x0020000D
        )
    path = ctx.files.write(record.sop_instance_uid, [part10])
    try:
        replaced = ctx.index.add_instance(record, path, len(part10), source_ae=calling_ae)
    except BaseException:
        ctx.files.remove(path)  # the index did not commit: the file must not outlive it
        raise
    if replaced is not None:
        ctx.instances.remove(replaced)
        log.info("replaced earlier copy of sop_instance=%s", record.sop_instance_uid)
    return StoreOutcome(record, path, replaced is not None)
