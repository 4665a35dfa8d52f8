"""C-ECHO, C-STORE and C-FIND requests become their primitives straight from the command's
bytes (emulator/dicom/commands.py); the primitive must be the one pynetdicom's own decoding
gives, and anything out of the ordinary must be left to pynetdicom."""

from __future__ import annotations

from io import BytesIO

import pytest
from pynetdicom.dimse_messages import C_ECHO_RQ, C_FIND_RQ, C_STORE_RQ, DIMSEMessage
from pynetdicom.dimse_primitives import C_ECHO, C_FIND, C_STORE
from pynetdicom.pdu_primitives import P_DATA

from emulator.dicom.received import plain_request

CT = "1.2.840.10008.5.1.4.1.1.2"
FIND = "1.2.840.10008.5.1.4.1.2.2.1"
INSTANCE = "1.2.826.0.1.3680043.8.498.1234567890123456789"
FIELDS = ("MessageID", "AffectedSOPClassUID", "AffectedSOPInstanceUID", "Priority",
          "MoveOriginatorApplicationEntityTitle", "MoveOriginatorMessageID")  # fmt: skip


def encoded(primitive) -> bytes:
    """The command set pynetdicom writes for *primitive*."""
    message = {C_ECHO: C_ECHO_RQ, C_STORE: C_STORE_RQ, C_FIND: C_FIND_RQ}[type(primitive)]()
    message.primitive_to_message(primitive)
    [pdata, *_] = message.encode_msg(1, 0)
    return pdata.presentation_data_value_list[0][1][1:]


def decoded_by_pynetdicom(command: bytes, data: bytes):
    message = DIMSEMessage()
    pdata = P_DATA()
    pdata.presentation_data_value_list = [[1, b"\x03" + command]] + (
        [[1, b"\x02" + data]] if data else []
    )
    assert message.decode_msg(pdata)
    return message.message_to_primitive()


def requests():
    echo = C_ECHO()
    echo.MessageID, echo.AffectedSOPClassUID = 3, "1.2.840.10008.1.1"
    store = C_STORE()
    store.MessageID, store.AffectedSOPClassUID, store.AffectedSOPInstanceUID = 7, CT, INSTANCE
    store.Priority, store.DataSet = 1, BytesIO(b"\x08\x00\x60\x00\x02\x00\x00\x00CT")
    moved = C_STORE()
    moved.MessageID, moved.AffectedSOPClassUID, moved.AffectedSOPInstanceUID = 8, CT, INSTANCE
    moved.Priority, moved.DataSet = 2, BytesIO(b"\x08\x00\x60\x00\x02\x00\x00\x00MR")
    moved.MoveOriginatorApplicationEntityTitle, moved.MoveOriginatorMessageID = "VIEWER", 41
    find = C_FIND()
    find.MessageID, find.AffectedSOPClassUID, find.Priority = 9, FIND, 0
    find.Identifier = BytesIO(b"\x08\x00\x52\x00\x06\x00\x00\x00STUDY ")
    return [echo, store, moved, find]


@pytest.mark.parametrize("request_", requests(), ids=["echo", "store", "moved", "find"])
def test_a_plain_request_is_the_primitive_pynetdicom_decodes(request_):
    data = getattr(request_, "DataSet", None) or getattr(request_, "Identifier", None)
    data = data.getvalue() if data is not None else b""
    command = encoded(request_)
    theirs = decoded_by_pynetdicom(command, data)
    found = plain_request(memoryview(command))
    assert found is not None
    ours, has_data = found
    assert type(ours) is type(theirs)
    assert has_data == bool(data)
    for field in FIELDS:
        assert getattr(ours, field, None) == getattr(theirs, field, None), field


@pytest.mark.parametrize(
    ("sop_class", "instance"),
    [
        (CT, "1.2.3." + "4" * 70),  # over-long: answered 0xA900 naming it
        (CT, "1.2.03"),  # not conformant
        (CT, ""),  # missing
        ("1.2.abc", INSTANCE),
    ],
)
def test_a_request_the_emulator_must_answer_specially_is_left_to_pynetdicom(sop_class, instance):
    from emulator.dicom import command_set

    command = command_set.c_store_rq(7, sop_class, instance, 2, None, None)
    assert plain_request(memoryview(command)) is None
    good = command_set.c_store_rq(7, CT, INSTANCE, 2, None, None)
    assert plain_request(memoryview(good)) is not None  # the same command, made right


def test_an_unusual_command_is_left_to_pynetdicom():
    command = encoded(requests()[1])
    extra = b"\x00\x00\x00\x09\x02\x00\x00\x00\x00\x00"  # a Status in a request
    assert plain_request(memoryview(command + extra)) is None
    assert plain_request(memoryview(command[:-3])) is None  # cut short


def test_a_request_without_priority_keeps_the_primitive_s_default_as_pynetdicom_does():
    from emulator.dicom import command_set

    full = command_set.c_store_rq(7, CT, INSTANCE, 1, None, None)
    elements = command_set.decode(memoryview(full))
    del elements[0x0700]
    del elements[0x0000]
    body = b"".join(  # group 0000, the element, its length and value: no (0000,0700)
        b"\x00\x00" + element.to_bytes(2, "little") + len(value).to_bytes(4, "little") + value
        for element, value in sorted(elements.items())
    )
    data = b"\x08\x00\x60\x00\x02\x00\x00\x00CT"
    ours, _ = plain_request(memoryview(body))
    theirs = decoded_by_pynetdicom(body, data)
    assert ours.Priority == theirs.Priority == 2
