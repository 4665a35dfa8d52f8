"""DIMSE messages received by the thousand, read from their command's bytes.

pynetdicom decodes each received command set into a pydicom Dataset, then sets the message's
primitive from it (~0.2 ms a message). The usual C-ECHO, C-STORE and C-FIND requests and
C-STORE responses carry only a few fixed elements: here they become their primitives straight
from the bytes (:mod:`emulator.dicom.command_set` decodes them), and anything out of the
ordinary is left to pynetdicom (:class:`emulator.dicom.commands.CommandCheckingDIMSE` falls
back to it). ``tests/unit/test_plain_requests.py`` holds them to pynetdicom's decoding.
"""

from __future__ import annotations

from typing import Any, cast

from pynetdicom.dimse_messages import DIMSEMessage
from pynetdicom.dimse_primitives import C_ECHO, C_FIND, C_STORE

from emulator.dicom import command_set
from storage.uids import uid_problem

_STORE_RSP_ELEMENTS = frozenset({0x0000, 0x0002, 0x0100, 0x0120, 0x0800, 0x0900, 0x1000})


def store_response(primitive: Any) -> tuple[int, C_STORE] | None:
    """The (context ID, C-STORE response primitive) of a P-DATA holding a whole plain
    C-STORE-RSP command (one PDV, no data set, no field beyond Status), as pynetdicom's
    decoding would give it; None for anything else."""
    pdvs = primitive.presentation_data_value_list
    if len(pdvs) != 1:
        return None
    context_id, data = pdvs[0]
    if len(data) < 2 or data[0] != 0x03:  # a command, its last fragment
        return None
    elements = command_set.decode(memoryview(data)[1:])
    if (
        elements is None
        or set(elements) - _STORE_RSP_ELEMENTS
        or command_set.us(elements.get(0x0100)) != command_set.C_STORE_RSP
        or command_set.us(elements.get(0x0800)) != command_set.NO_DATA_SET
    ):
        return None
    rsp = C_STORE()
    try:
        rsp.MessageIDBeingRespondedTo = command_set.us(elements.get(0x0120))
        rsp.AffectedSOPClassUID = command_set.text(elements.get(0x0002))
        rsp.AffectedSOPInstanceUID = command_set.text(elements.get(0x1000))
        rsp.Status = command_set.us(elements.get(0x0900))
    except (TypeError, ValueError):  # pynetdicom's way says what is wrong
        return None
    return context_id, rsp


# the elements each request's command may hold here (PS3.7 9.3.1.1, 9.3.2.1, 9.3.5.1)
_REQUEST_ELEMENTS = {
    0x0001: frozenset({0x0000, 0x0002, 0x0100, 0x0110, 0x0700, 0x0800, 0x1000, 0x1030, 0x1031}),
    0x0020: frozenset({0x0000, 0x0002, 0x0100, 0x0110, 0x0700, 0x0800}),
    0x0030: frozenset({0x0000, 0x0002, 0x0100, 0x0110, 0x0800}),
}
_REQUEST_TYPES = {0x0001: C_STORE, 0x0020: C_FIND, 0x0030: C_ECHO}


def plain_request(command: memoryview) -> tuple[Any, bool] | None:
    """The primitive of a C-STORE, C-FIND or C-ECHO request's encoded *command*, as
    pynetdicom's decoding would give it, and whether a data set follows; None for anything
    else (another command, another element, a value
    pynetdicom would refuse or a UID the emulator must answer: pynetdicom's way then)."""
    elements = command_set.decode(command)
    if elements is None:
        return None
    field = command_set.us(elements.get(0x0100))
    allowed = _REQUEST_ELEMENTS.get(field or -1)
    if allowed is None or set(elements) - allowed:
        return None
    primitive_type = _REQUEST_TYPES[cast(int, field)]
    has_data = command_set.us(elements.get(0x0800)) != command_set.NO_DATA_SET
    sop_class = command_set.text(elements.get(0x0002)) or ""
    instance = command_set.text(elements.get(0x1000))
    message_id = command_set.us(elements.get(0x0110))
    if (
        has_data != (field != 0x0030)  # C-ECHO has none, C-STORE and C-FIND one
        or message_id is None
        or uid_problem(sop_class) is not None
        or (field == command_set.C_STORE_RQ and (not instance or uid_problem(instance) is not None))
    ):
        return None
    request: Any = primitive_type()
    try:
        request.MessageID = message_id
        request.AffectedSOPClassUID = sop_class
        if 0x0700 in elements:  # absent: the primitive's default, as pynetdicom leaves it
            request.Priority = command_set.us(elements[0x0700])
        if field == command_set.C_STORE_RQ:
            request.AffectedSOPInstanceUID = instance
            if 0x1030 in elements:
                request.MoveOriginatorApplicationEntityTitle = command_set.text(elements[0x1030])
            if 0x1031 in elements:
                request.MoveOriginatorMessageID = command_set.us(elements[0x1031])
    except (TypeError, ValueError):
        return None
    return request, has_data


def with_data_set(message: DIMSEMessage, request: Any) -> Any:
    """A request taken from its command's bytes, with the data set its message gathered."""
    setattr(request, "DataSet" if isinstance(request, C_STORE) else "Identifier", message.data_set)
    request._context_id = message.context_id
    return request
