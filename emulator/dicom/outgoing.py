"""Associations the emulator requests (C-MOVE sub-associations, commitment reports).

They run on the event loops of :mod:`emulator.dicom.reactor` like accepted ones: the AE's
``_create_socket`` (:meth:`emulator.dicom.server.EmulatorAE._create_socket`) calls
:func:`prepare_outgoing` before pynetdicom connects, so every association the emulator
requests is an :class:`OutgoingAssociation` with an event-driven DUL and TCP_NODELAY (as
accepted sockets have; without it each message waits ~40 ms for a delayed ACK).

pynetdicom's ``send_*`` methods pause the association's loop before they send, then wait for
the response on the DIMSE queue. An association the emulator requested never serves requests,
so should its loop ever meet a response, the response goes back on the queue for the send that
waits on it (pynetdicom's own loop could slip past its checkpoint and drop one as
"unexpected"; seen once in ~1,200 C-MOVE sub-operations under load).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, cast

from pydicom.uid import UID
from pynetdicom.association import Association
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.dsutils import split_dataset
from pynetdicom.transport import AddressInformation, AssociationSocket

from emulator.dicom import command_set
from emulator.dicom.commands import ResponseDecodingDIMSE, send_encoded
from emulator.dicom.handler_table import quiet
from emulator.dicom.reactor import EventAssociation, EventDUL
from emulator.dicom.wakeup import WakingQueue
from emulator.dicom.wire import FaultSocket, Wire


class OutgoingAssociation(EventAssociation):
    """A requestor association whose loop hands responses back to the waiting send."""

    def _serve_request(self, msg: Any, context_id: int) -> None:
        if not msg.is_valid_request and not self._sent_release:
            self.dimse.msg_queue.put((context_id, msg))
            return
        super()._serve_request(msg, context_id)


class OutgoingSocket(FaultSocket):
    """The socket of an outgoing association: TCP_NODELAY, no faults on it, and connected
    once connected.

    pynetdicom's requestor checks ``_is_connected`` after sending its A-ASSOCIATE-RQ to tell
    a failed TCP connect; but a peer that answers within microseconds with an A-ASSOCIATE-RJ
    (or an A-ABORT) has its connection closed by the network loop first, so the check reads
    False and the rejection is taken for a refused connection (seen 2 times in 150 rejected
    associations under load). Here the flag, once set, stays set: a closed socket is None.
    """

    _connected_once = False

    @property
    def _is_connected(self) -> bool:
        return self._connected_once

    @_is_connected.setter
    def _is_connected(self, value: bool) -> None:
        if value:
            self._connected_once = True

    def _create_socket(self, address: AddressInformation) -> socket.socket:
        sock = super()._create_socket(address)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def _data_set_offset(head: bytes) -> int | None:
    """Where the data set starts in a Part 10 file whose first 144 bytes are *head*: after
    the preamble, ``DICM`` and the file meta group its (0002,0000) group length measures, as
    every file the emulator writes has it (None: anything else)."""
    if (
        len(head) < 144
        or head[128:132] != b"DICM"
        or head[132:140] != b"\x02\x00\x00\x00UL\x04\x00"
    ):
        return None
    return 144 + int.from_bytes(head[140:144], "little")


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A C-STORE-RQ of a stored file, ready to send: its context, command set and data set
    (the file's bytes after its meta information, as stored)."""

    sop_class: str
    sop_instance: str
    message_id: int
    context_id: int
    command: bytes
    data: memoryview
    originator_aet: str | None
    originator_id: int | None


def prepare_stored(
    assoc: Association,
    path: Path,
    msg_id: int,
    originator_aet: str | None = None,
    originator_id: int | None = None,
    uids: tuple[str, str, str] | None = None,
    contexts: dict[tuple[str, str], Any] | None = None,
) -> StoredMessage:
    """The C-STORE-RQ of the Part 10 file at *path*, with its data set exactly as stored: no
    decoding and no re-encoding, where ``send_c_store`` would read the whole file into a
    Dataset, serialize it again and build the command set as another Dataset. Here the
    command set is written by :mod:`emulator.dicom.command_set`, on the accepted context of
    the file's SOP class and transfer syntax (as ``send_c_store`` chooses it).

    *uids* (SOP class, SOP instance, transfer syntax), as the index has them, spare reading
    the file meta information with pydicom; without them it is read from the file.

    *contexts* caches the context chosen per (SOP class, transfer syntax) between calls.

    Raises ValueError when no accepted context has the file's transfer syntax (the caller
    converts and sends a Dataset then), OSError when the file cannot be read.
    """
    with path.open("rb") as f:
        content = f.read()
    offset = _data_set_offset(content[:144]) if uids is not None else None
    if uids is None or offset is None:
        file_meta, offset = split_dataset(path)
        uids = (
            str(file_meta.get("MediaStorageSOPClassUID", "")),
            str(file_meta.get("MediaStorageSOPInstanceUID", "")),
            str(file_meta.get("TransferSyntaxUID", "")),
        )
    sop_class, sop_instance, syntax = uids
    context = None if contexts is None else contexts.get((sop_class, syntax))
    if context is None:
        context = assoc._get_valid_context(
            UID(sop_class), UID(syntax), "scu", allow_conversion=False
        )
        if contexts is not None:
            contexts[(sop_class, syntax)] = context
    command = command_set.c_store_rq(
        msg_id, sop_class, sop_instance, 2, originator_aet, originator_id
    )  # priority medium, as send_c_store
    return StoredMessage(
        sop_class,
        sop_instance,
        msg_id,
        cast(int, context.context_id),
        command,
        memoryview(content)[offset:],
        originator_aet,
        originator_id,
    )


def pause(assoc: Association) -> None:
    """Hold the association's loop at its checkpoint (pynetdicom's ``send_*`` hand-shake) so
    this thread may send and take responses off the DIMSE queue; :func:`resume` lets it go
    on. Held over a run of sub-operations, the loop is not woken by each response."""
    if assoc._reactor_checkpoint.is_set():
        assoc._reactor_checkpoint.clear()
    while not assoc._is_paused:
        time.sleep(0.0001)


def resume(assoc: Association) -> None:
    assoc._reactor_checkpoint.set()


def send_prepared(assoc: Association, message: StoredMessage) -> None:
    """Send *message*, the association's loop held (:func:`pause`, if it is not already);
    :func:`await_status` takes the response.

    Raises RuntimeError when the association is not established."""
    if not assoc.is_established:
        raise RuntimeError("the association is not established")
    pause(assoc)
    try:
        if not send_encoded(assoc, message.context_id, message.command, message.data):
            req = C_STORE()
            req.MessageID = message.message_id
            req.Priority = 2
            req.MoveOriginatorApplicationEntityTitle = message.originator_aet
            req.MoveOriginatorMessageID = message.originator_id
            req.AffectedSOPClassUID = message.sop_class
            req.AffectedSOPInstanceUID = message.sop_instance
            req.DataSet = BytesIO(message.data)
            assoc.dimse.send_msg(req, message.context_id)
    except BaseException:
        resume(assoc)
        raise


def await_status(assoc: Association) -> int | None:
    """The status of the response to the message :func:`send_prepared` sent (None: no
    valid response; the association is then aborted, as pynetdicom does). The loop stays
    held until :func:`resume`."""
    _, rsp = assoc.dimse.get_msg(block=True)
    if rsp is None:
        assoc._handle_no_response()
        return None
    if isinstance(rsp, C_STORE) and rsp.is_valid_response and rsp.Status is not None:
        return rsp.Status
    status = assoc._check_received_status(rsp).get("Status")  # logs it, aborts
    return None if status is None else int(status)


def install(assoc: Association) -> None:
    """Give a freshly built *assoc* (pynetdicom's, made an :class:`EventAssociation`, not
    yet started) its event-driven DUL and message queue, keeping the timeouts pynetdicom
    set; pynetdicom's debug handlers go unless its log shows them
    (:func:`~emulator.dicom.handler_table.quiet`)."""
    activity = threading.Event()
    assoc._activity = activity  # type: ignore[attr-defined]
    old = assoc.dul
    dul = EventDUL(assoc, activity)
    dul.artim_timer.timeout = old.artim_timer.timeout
    dul._idle_timer.timeout = old._idle_timer.timeout
    dul.name = old.name
    assoc.dul = dul
    assoc.dimse.msg_queue = cast(Any, WakingQueue(activity.set))
    quiet(assoc)


def prepare_outgoing(
    assoc: Association, address: AddressInformation, tls_args: Any
) -> AssociationSocket:
    """Make *assoc*, just built by ``AE.associate`` and not yet started, an
    :class:`OutgoingAssociation` on event loops, and return its socket."""
    assoc.__class__ = OutgoingAssociation  # adds no state beyond what install() sets
    assoc.dimse = ResponseDecodingDIMSE(assoc)
    install(assoc)
    sock = OutgoingSocket.__new__(OutgoingSocket)
    sock.wire = Wire()
    AssociationSocket.__init__(sock, assoc, address=address)
    sock.tls_args = tls_args
    return sock
