"""Commands with an invalid Affected SOP Instance UID still get a C-STORE response.

pynetdicom validates the UIDs of a received command while it turns the message into a
primitive: an over-long one (65+ characters) raises there and the association is aborted, and
an empty or missing one leaves a primitive that is "not a valid request", which it drops
without any answer, so the client waits out its own timeout. PS3.4 B.2.3 wants a status: the
emulator answers 0xA900 (data set does not match SOP class) naming (0000,1000).

:class:`CommandCheckingDIMSE` therefore checks a C-STORE-RQ's command as soon as the message
is complete, before pynetdicom's logging handlers and conversion see it: a bad value is
replaced by an empty one, and the primitive carries what was received, read back with
:func:`invalid_instance_uid`. Only this module knows how.

A message whose command set cannot be decoded at all (no CommandField, say) makes pynetdicom's
reactor thread die with a traceback and leaves the connection open; here it is one log line
and an A-ABORT instead.
"""

from __future__ import annotations

import logging
import struct
from functools import partial
from typing import Any, cast

from pydicom.uid import UID
from pynetdicom import evt
from pynetdicom.dimse import _RQ_TO_MESSAGE, _RSP_TO_MESSAGE, DIMSEServiceProvider
from pynetdicom.dimse_messages import DIMSEMessage
from pynetdicom.dimse_primitives import C_ECHO, C_FIND, C_STORE
from pynetdicom.dsutils import encode
from pynetdicom.pdu_primitives import P_DATA

from emulator.dicom import command_set
from emulator.dicom.received import plain_request, store_response, with_data_set
from emulator.logfmt import kv
from storage.uids import uid_problem

log = logging.getLogger("emulator.dicom")

_RECEIVED = "_emulator_received_instance_uid"


class ResponseDecodingDIMSE(DIMSEServiceProvider):
    """pynetdicom's DIMSE provider, taking C-STORE responses straight from their bytes.

    A C-MOVE or C-GET gets one C-STORE-RSP per sub-operation; pynetdicom decodes each command
    set into a pydicom Dataset and then into a primitive (~0.15 ms). A plain one (Status, no
    error fields, the whole command in one PDV, as every SCP sends it) becomes its primitive
    here (:func:`store_response`); anything else, or with a handler bound to EVT_DIMSE_RECV
    (pynetdicom's debug log), takes pynetdicom's way."""

    def receive_primitive(self, primitive: Any) -> None:
        if not self._took_store_response(primitive):
            super().receive_primitive(primitive)

    def _took_store_response(self, primitive: Any) -> bool:
        if self.message is not None or self.assoc.get_handlers(evt.EVT_DIMSE_RECV):
            return False
        found = store_response(primitive)
        if found is None:
            return False
        self.msg_queue.put(found)
        return True


class CommandCheckingDIMSE(ResponseDecodingDIMSE):
    """pynetdicom's DIMSE provider, checking each C-STORE-RQ's Affected SOP Instance UID
    (and taking C-STORE responses, a C-GET's sub-operations', from their bytes)."""

    def receive_primitive(self, primitive: Any) -> None:
        if self._took_store_response(primitive):
            return
        if self.message is None and self._took_request(primitive):
            return
        if self.message is None:
            message = DIMSEMessage()
            # Instance attributes outlive pynetdicom's change of the message's class once its
            # command is decoded, and are looked up before the class's methods.
            message.decode_msg = partial(_decode, message)  # type: ignore[method-assign]
            message.message_to_primitive = partial(_to_primitive, message)  # type: ignore[method-assign]
            self.message = message
        try:
            DIMSEServiceProvider.receive_primitive(self, primitive)
        except Exception as exc:  # pynetdicom lets a malformed command set kill its reactor
            self.message = None
            log.warning(
                "assoc=%s event=invalid-message %s",
                getattr(self.assoc, "name", "?"),
                kv(error=f"{type(exc).__name__}: {exc}"[:200], action="A-ABORT"),
            )
            self.dul.event_queue.put("Evt19")  # invalid PDU: A-ABORT, as pynetdicom would

    def _took_request(self, primitive: Any) -> bool:
        """A C-ECHO, C-STORE or C-FIND request whose whole command is the P-DATA's first PDV
        and plain (:func:`plain_request`) becomes its primitive from the command's bytes;
        a data set that follows is gathered by pynetdicom's own message, as any other.
        False (nothing taken): anything else, or a handler bound to EVT_DIMSE_RECV that
        expects pynetdicom's decoded message."""
        pdvs = primitive.presentation_data_value_list
        if not pdvs or self.assoc.get_handlers(evt.EVT_DIMSE_RECV):
            return False
        context_id, data = pdvs[0]
        if len(data) < 2 or data[0] != 0x03:  # a command, whole in this PDV
            return False
        found = plain_request(memoryview(data)[1:])
        if found is None:
            return False
        request, has_data = found
        if not has_data:  # the message is complete
            if len(pdvs) > 1:
                return False  # more in the same P-DATA: pynetdicom's way
            request._context_id = context_id
            self.msg_queue.put((context_id, request))
            return True
        message = DIMSEMessage()  # gathers the data set; its primitive is the request
        message.context_id = context_id
        message.message_to_primitive = partial(with_data_set, message, request)  # type: ignore[method-assign]
        self.message = message
        if len(pdvs) > 1:  # the data set begins in the same P-DATA
            rest = P_DATA()  # its setter takes [ID, bytes] lists only
            rest.presentation_data_value_list = cast(
                Any, [[cid, bytes(pdv)] for cid, pdv in pdvs[1:]]
            )
            DIMSEServiceProvider.receive_primitive(self, rest)
        return True

    def send_msg(self, primitive: Any, context_id: int) -> None:
        """C-STORE responses and final C-FIND responses without error fields get a command set
        written by :mod:`emulator.dicom.command_set`; any other message is written whole
        (:meth:`_send_whole`)."""
        if not self._send_simple_response(primitive, context_id):
            self._send_whole(primitive, context_id)

    def _send_simple_response(self, primitive: Any, context_id: int) -> bool:
        """A C-STORE-RSP, a C-ECHO-RSP or a C-FIND-RSP with no identifier, whose only status
        field is Status, written straight to bytes; False: not such a response, or not sent."""
        field = _SIMPLE_RESPONSES.get(type(primitive))
        if (
            field is None
            or primitive.MessageIDBeingRespondedTo is None
            or primitive.Status is None
            or primitive.ErrorComment is not None
            or getattr(primitive, "OffendingElement", None) is not None
            or getattr(primitive, "Identifier", None) is not None
        ):
            return False
        instance = getattr(primitive, "AffectedSOPInstanceUID", None)
        command = command_set.response(
            field,
            primitive.MessageIDBeingRespondedTo,
            str(primitive.AffectedSOPClassUID or ""),
            primitive.Status,
            str(instance) if instance else None,
        )
        return send_encoded(self.assoc, context_id, command)

    def _send_whole(self, primitive: Any, context_id: int) -> None:
        """pynetdicom's ``send_msg``, writing the whole message at once: its P-DATA-TF PDUs
        are built as bytes (the same fragments and control headers pynetdicom makes) and
        handed to the socket in one write while established, instead of one PDU object and
        one write per fragment (32 of each for a 512 KiB instance at 16 KiB PDUs). When the
        DUL cannot take them that way (not established, something queued ahead), the PDUs
        go through its queue as pynetdicom sends them."""
        if primitive.MessageIDBeingRespondedTo is None:
            message = _RQ_TO_MESSAGE[primitive.__class__]()
        else:
            message = _RSP_TO_MESSAGE[primitive.__class__]()
        message.primitive_to_message(primitive)
        message.context_id = context_id
        evt.trigger(self.assoc, evt.EVT_DIMSE_SENT, {"message": message})
        send_raw = getattr(self.dul, "send_raw", None)
        if send_raw is not None and message._data_set_path is None:
            limit = self.maximum_pdu_size
            command = bytes(encode(message.command_set, True, True) or b"")
            data = message.data_set.getvalue() if message.data_set is not None else b""
            raw = pdata_pdus(context_id, command, True, limit)
            if data:
                raw += pdata_pdus(context_id, data, False, limit)
            if send_raw(raw):
                return
        for pdata in message.encode_msg(context_id, self.maximum_pdu_size):
            self.dul.send_pdu(pdata)


def send_encoded(
    assoc: Any, context_id: int, command: bytes, data: bytes | memoryview = b""
) -> bool:
    """Send a message whose command set is already encoded (:mod:`emulator.dicom.command_set`)
    and whose data set, if any, is *data*, as whole P-DATA-TF PDUs in one write (see
    ``_send_whole``). False when it cannot go that way: an association not on the event
    loops, not established, something queued ahead, or a handler bound to EVT_DIMSE_SENT that
    expects pynetdicom's message object; the caller then sends it through pynetdicom."""
    send_raw = getattr(assoc.dul, "send_raw", None)
    if send_raw is None or assoc.get_handlers(evt.EVT_DIMSE_SENT):
        return False
    limit = assoc.dimse.maximum_pdu_size
    if len(data) < _GATHER_FROM:
        raw = pdata_pdus(context_id, command, True, limit)
        if len(data):
            raw += pdata_pdus(context_id, data, False, limit)
        return bool(send_raw(raw))
    # a large data set is not copied: its fragments go out between their PDU headers
    return bool(
        send_raw(
            [pdata_pdus(context_id, command, True, limit), *pdv_pieces(context_id, data, limit)]
        )
    )


def send_messages(assoc: Any, context_id: int, messages: list[tuple[bytes, bytes]]) -> None:
    """Send *messages*, each an encoded command set and its data set, in one write while the
    association is established and nothing is queued ahead. A message that fits one PDU
    goes as one P-DATA-TF of two PDVs (command, then data set: PS3.8 9.3.5 allows several
    PDVs per PDU), as pynetdicom would send it in two. Otherwise the same PDUs go through
    the DUL's queue, one at a time."""
    limit = assoc.dimse.maximum_pdu_size
    raw = bytearray()
    for command, data in messages:
        if not limit or 12 + len(command) + len(data) <= limit:
            raw += _PAIR_HEADER.pack(0x04, 0, 12 + len(command) + len(data), 2 + len(command))
            raw += bytes((context_id, 0x03))
            raw += command
            raw += _PDV_LENGTH.pack(2 + len(data), context_id, 0x02)
            raw += data
        else:
            raw += pdata_pdus(context_id, command, True, limit)
            raw += pdata_pdus(context_id, data, False, limit)
    send_raw = getattr(assoc.dul, "send_raw", None)
    if send_raw is not None and send_raw(raw):
        return
    for command, data in messages:  # pynetdicom's way: PDU primitives through the queue
        for value, flags in ((command, (0x01, 0x03)), (data, (0x00, 0x02))):
            step = limit - 6 if limit else max(len(value), 1)
            for start in range(0, max(len(value), 1), step):
                pdata = P_DATA()
                last = start + step >= len(value)
                piece = bytes((flags[1] if last else flags[0],)) + value[start : start + step]
                pdata.presentation_data_value_list.append((context_id, piece))
                assoc.dul.send_pdu(pdata)


_PAIR_HEADER = struct.Struct(">BBLL")  # PDU type, reserved, PDU length, first PDV length
_PDV_LENGTH = struct.Struct(">LBB")  # PDV length, context ID, flags
_SIMPLE_RESPONSES = {
    C_STORE: command_set.C_STORE_RSP,
    C_FIND: command_set.C_FIND_RSP,
    C_ECHO: command_set.C_ECHO_RSP,
}
_PDV_HEADER = struct.Struct(">BBLLBB")  # PDU type, reserved, PDU length, PDV length, ID, flags


_GATHER_FROM = 64 * 1024  # data sets from this size are sent without copying them


def pdv_pieces(
    context_id: int, value: bytes | memoryview, max_pdu: int
) -> list[bytes | memoryview]:
    """What :func:`pdata_pdus` makes of a data set *value*, as PDU headers and slices of
    *value* (nothing copied), for a gathering write."""
    step = max_pdu - 6 if max_pdu else max(len(value), 1)
    view = memoryview(value)
    pieces: list[bytes | memoryview] = []
    for start in range(0, max(len(value), 1), step):
        piece = view[start : start + step]
        flags = 0x02 if start + step >= len(value) else 0x00
        pieces.append(_PDV_HEADER.pack(0x04, 0, 6 + len(piece), 2 + len(piece), context_id, flags))
        pieces.append(piece)
    return pieces


def pdata_pdus(
    context_id: int, value: bytes | memoryview, command: bool, max_pdu: int
) -> bytearray:
    """*value* (an encoded command set or data set) as P-DATA-TF PDUs of one PDV each, at
    most *max_pdu* bytes of PDVs per PDU (0: unlimited), as PS3.8 9.3.5 and Annex E say and
    pynetdicom fragments them: bit 0 of the control header marks a command, bit 1 the last
    fragment."""
    step = max_pdu - 6 if max_pdu else max(len(value), 1)
    more, last = (0x01, 0x03) if command else (0x00, 0x02)
    out = bytearray()
    view = memoryview(value)
    for start in range(0, max(len(value), 1), step):
        piece = view[start : start + step]
        flags = last if start + step >= len(value) else more
        out += _PDV_HEADER.pack(0x04, 0, 6 + len(piece), 2 + len(piece), context_id, flags)
        out += piece
    return out


def invalid_instance_uid(request: Any) -> str | None:
    """What is wrong with the Affected SOP Instance UID *request*'s command carried (None:
    nothing, or a request not received through :class:`CommandCheckingDIMSE`)."""
    received = getattr(request, _RECEIVED, None)
    if received is None:
        return None
    if not received:
        return "Affected SOP Instance UID missing or empty"
    return f"Affected SOP Instance UID {uid_problem(received) or 'invalid'}"


def _decode(message: DIMSEMessage, primitive: Any, assoc: Any) -> bool:
    complete = bool(type(message).decode_msg(message, primitive, assoc))
    command = message.command_set
    if complete and command.get("CommandField") == command_set.C_STORE_RQ:
        value = str(command.get("AffectedSOPInstanceUID") or "")
        if not value or uid_problem(value) is not None:
            command.AffectedSOPInstanceUID = ""  # what pynetdicom's handlers can log
            message.__dict__[_RECEIVED] = value
    return complete


def _to_primitive(message: DIMSEMessage) -> Any:
    primitive: Any = type(message).message_to_primitive(message)
    received = message.__dict__.get(_RECEIVED)
    if received is not None:
        # A request pynetdicom passes on to the service (whose response then carries no UID).
        primitive._affected_sop_instance_uid = UID("")
        setattr(primitive, _RECEIVED, received)
    return primitive
