"""The C-STORE sub-operations of a C-MOVE or C-GET, one instance at a time.

A stored file goes out as stored (:func:`~emulator.dicom.outgoing.prepare_stored`); an instance
no accepted context takes as stored is converted (decompressed, or made little endian), and a
fabricated one is synthesized, then sent through pynetdicom.

A sub-operation is started (:meth:`StoreSCU.send`) and then answered
(:meth:`StoreSCU.result`): in between, while the destination stores the instance, the caller
may answer its requestor and read the next instance (:meth:`StoreSCU.prepare`). A destination
takes the same time to store an instance either way; the emulator's own work for the next one
no longer adds to it. The association's loop stays held from the first sub-operation to
:meth:`StoreSCU.done` (with the ``with`` statement), not woken by each response.
"""

from __future__ import annotations

import logging
from typing import Any

from pydicom.errors import InvalidDicomError
from pynetdicom.association import Association

from emulator.dicom.outgoing import (
    StoredMessage,
    await_status,
    prepare_stored,
    resume,
    send_prepared,
)
from emulator.errors import SUCCESS
from emulator.services import coercion, retrieve
from emulator.services.context import ServiceContext
from storage import StorageError, locations

log = logging.getLogger("emulator.dicom")

_WARNINGS = frozenset({0xB000, 0xB006, 0xB007})  # PS3.4 Table B.2-1 warning statuses
_FAILED = (OSError, StorageError, InvalidDicomError, ValueError, AttributeError, RuntimeError)


def outcome(code: int | None, uid: str) -> str:
    """A sub-operation's outcome from the status its C-STORE got (None: no response)."""
    if code == SUCCESS:
        return "completed"
    if code in _WARNINGS:
        return "warning"
    log.info("destination answered 0x%04X for sop_instance=%s", code or 0xFFFF, uid)
    return "failed"


class StoreSCU:
    """C-STORE sub-operations over *assoc* (a C-MOVE's sub-association, or the C-GET's own
    association), each "completed", "warning" or "failed"."""

    def __init__(
        self,
        assoc: Association,
        ctx: ServiceContext,
        originator_aet: str | None = None,
        originator_id: int | None = None,
    ) -> None:
        self.assoc, self.ctx = assoc, ctx
        self.originator_aet, self.originator_id = originator_aet, originator_id
        self._in_flight: str | None = None  # the SOP Instance UID awaiting its response
        self._contexts: dict[tuple[str, str], Any] = {}  # (SOP class, syntax) -> context

    def __enter__(self) -> StoreSCU:
        return self

    def __exit__(self, *exc: object) -> None:
        self.done()

    def done(self) -> None:
        """Let the association's loop go on (the last sub-operation was answered)."""
        resume(self.assoc)

    def prepare(self, row: Any, msg_id: int) -> StoredMessage | None:
        """The message of a stored file, read ahead; None when *row* is synthesized, needs
        converting or cannot be read now (:meth:`send` then does what it takes, and says
        why it failed if it does)."""
        location = locations.from_row(row)
        if not isinstance(location, str) or coercion.wanted(self.ctx):  # synthesized, coerced
            return None
        try:
            path = self.ctx.files.path(location)
            uids = (row["sop_class_uid"], row["sop_instance_uid"], row["transfer_syntax_uid"])
            return prepare_stored(
                self.assoc,
                path,
                msg_id,
                self.originator_aet,
                self.originator_id,
                uids,
                self._contexts,
            )
        except _FAILED:
            return None

    def send(self, row: Any, msg_id: int, prepared: StoredMessage | None = None) -> str | None:
        """Start the sub-operation of *row*: None while its response is awaited
        (:meth:`result` must follow), else its outcome already (a failure, or a converted or
        synthesized instance, sent and answered)."""
        uid = row["sop_instance_uid"]
        assoc = self.assoc
        if not assoc.is_established or assoc.acse.is_aborted():
            log.info("sub-operation failed for sop_instance=%s: the destination is gone", uid)
            return "failed"
        if prepared is None or (prepared.sop_instance, prepared.message_id) != (uid, msg_id):
            prepared = self.prepare(row, msg_id)
        try:
            if prepared is not None:
                send_prepared(assoc, prepared)
                self._in_flight = uid
                return None
            return outcome(self._send_dataset(row, msg_id), uid)
        except _FAILED as exc:  # RuntimeError: pynetdicom, the association is gone
            log.info("sub-operation failed for sop_instance=%s: %s", uid, exc)
            return "failed"

    def result(self) -> str:
        """The outcome of the sub-operation :meth:`send` started."""
        uid, self._in_flight = self._in_flight or "", None
        try:
            return outcome(await_status(self.assoc), uid)
        except _FAILED as exc:
            log.info("sub-operation failed for sop_instance=%s: %s", uid, exc)
            return "failed"

    def _send_dataset(self, row: Any, msg_id: int) -> int | None:
        """Send *row* decoded (converted when no context takes it as stored) or synthesized,
        through pynetdicom; its response's status."""
        ds = retrieve.load_instance(self.ctx, locations.from_row(row))
        if coercion.wanted(self.ctx):
            ds = coercion.coerce(self.ctx, ds)
        try:
            status = self._send_c_store(ds, msg_id)
        except ValueError:  # no context takes it as stored: convert, then try again
            syntax = ds.file_meta.TransferSyntaxUID
            if syntax.is_compressed:
                ds = retrieve.decompressed(ds)
            elif not syntax.is_little_endian:
                ds = retrieve.little_endian(ds)
            else:
                raise
            status = self._send_c_store(ds, msg_id)
        code = status.get("Status") if status else None
        return None if code is None else int(code)

    def _send_c_store(self, ds: Any, msg_id: int) -> Any:
        """pynetdicom's ``send_c_store`` (which pauses and resumes the loop itself)."""
        return self.assoc.send_c_store(
            ds,
            msg_id=msg_id,
            originator_aet=self.originator_aet,
            originator_id=self.originator_id,
        )
