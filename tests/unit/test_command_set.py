"""Command sets written by emulator/dicom/command_set.py are the bytes pynetdicom writes.

The emulator writes the C-STORE-RQs of its C-MOVE and C-GET sub-operations, and their Pending
and final responses, without pynetdicom's Dataset round trip. A peer must not be able to tell:
each spec builds the same message through pynetdicom's primitives and compares the bytes.
"""

from __future__ import annotations

from io import BytesIO

import pytest
from pydicom.dataset import Dataset
from pynetdicom.dimse_messages import (
    C_ECHO_RSP,
    C_FIND_RSP,
    C_GET_RSP,
    C_MOVE_RSP,
    C_STORE_RQ,
    C_STORE_RSP,
)
from pynetdicom.dimse_primitives import C_ECHO, C_FIND, C_GET, C_MOVE, C_STORE
from pynetdicom.dsutils import decode, encode
from pynetdicom.sop_class import (
    CTImageStorage,
    PatientRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
)

from emulator.dicom import command_set


def pynetdicom_bytes(message, primitive) -> bytes:
    message.primitive_to_message(primitive)
    return bytes(encode(message.command_set, True, True) or b"")


@pytest.mark.parametrize(
    ("instance", "originator", "originator_id"),
    [
        ("1.2.3.45", "MOVESCU", 3),  # even UID, odd AE title: space padded
        ("1.2.3.4", "ORIGIN16CHARSAE!", 65535),  # odd UID: NUL padded; a 16-character title
        ("1.2.840.113619.2.55.3.604688119.969.1268071029.320", None, None),  # a C-GET's
    ],
)
def test_a_c_store_rq_is_byte_for_byte_pynetdicoms(instance, originator, originator_id):
    primitive = C_STORE()
    primitive.MessageID = 7
    primitive.Priority = 2
    primitive.AffectedSOPClassUID = CTImageStorage
    primitive.AffectedSOPInstanceUID = instance
    primitive.MoveOriginatorApplicationEntityTitle = originator
    primitive.MoveOriginatorMessageID = originator_id
    primitive.DataSet = BytesIO(b"\x08\x00\x05\x00\x00\x00\x00\x00")
    ours = command_set.c_store_rq(7, CTImageStorage, instance, 2, originator, originator_id)
    assert ours == pynetdicom_bytes(C_STORE_RQ(), primitive)


@pytest.mark.parametrize(
    ("move", "status", "remaining", "counts"),
    [
        (True, 0xFF00, 99, (1, 0, 0)),  # Pending
        (True, 0x0000, None, (100, 0, 0)),  # Success: no Remaining
        (False, 0xFE00, 3, (1, 2, 4)),  # Cancel
        (False, 0xB000, None, (60000, 5, 65535)),  # Warning, large counts
    ],
)
def test_a_retrieve_response_is_byte_for_byte_pynetdicoms(move, status, remaining, counts):
    completed, failed, warning = counts
    primitive = C_MOVE() if move else C_GET()
    sop_class = (
        StudyRootQueryRetrieveInformationModelMove
        if move
        else PatientRootQueryRetrieveInformationModelGet
    )
    primitive.MessageIDBeingRespondedTo = 41
    primitive.AffectedSOPClassUID = sop_class
    primitive.Status = status
    primitive.NumberOfRemainingSuboperations = remaining
    primitive.NumberOfCompletedSuboperations = completed
    primitive.NumberOfFailedSuboperations = failed
    primitive.NumberOfWarningSuboperations = warning
    field = command_set.C_MOVE_RSP if move else command_set.C_GET_RSP
    ours = command_set.retrieve_rsp(
        field, 41, sop_class, status, remaining, completed, failed, warning
    )
    assert ours == pynetdicom_bytes(C_MOVE_RSP() if move else C_GET_RSP(), primitive)


def test_a_command_set_decodes_to_what_was_put_in():
    raw = command_set.c_store_rq(65535, CTImageStorage, "1.2.3", 0, "AE", 1)
    decoded: Dataset = decode(BytesIO(raw), True, True)
    assert decoded.CommandGroupLength == len(raw) - 12
    assert decoded.MessageID == 65535
    assert decoded.AffectedSOPInstanceUID == "1.2.3"
    assert decoded.MoveOriginatorApplicationEntityTitle == "AE"
    assert decoded.CommandDataSetType == command_set.DATA_SET


@pytest.mark.parametrize("status", [0x0000, 0xB007, 0xA700])
def test_a_c_store_rsp_is_byte_for_byte_pynetdicoms(status):
    primitive = C_STORE()
    primitive.MessageIDBeingRespondedTo = 12
    primitive.AffectedSOPClassUID = CTImageStorage
    primitive.AffectedSOPInstanceUID = "1.2.826.0.1.3680043.10.1089.9.1.1.1"
    primitive.Status = status
    ours = command_set.response(
        command_set.C_STORE_RSP, 12, CTImageStorage, status, "1.2.826.0.1.3680043.10.1089.9.1.1.1"
    )
    assert ours == pynetdicom_bytes(C_STORE_RSP(), primitive)


@pytest.mark.parametrize("status", [0x0000, 0xFE00, 0xC000])
def test_a_final_c_find_rsp_is_byte_for_byte_pynetdicoms(status):
    primitive = C_FIND()
    primitive.MessageIDBeingRespondedTo = 1
    primitive.AffectedSOPClassUID = StudyRootQueryRetrieveInformationModelFind
    primitive.Status = status
    ours = command_set.response(
        command_set.C_FIND_RSP, 1, StudyRootQueryRetrieveInformationModelFind, status
    )
    assert ours == pynetdicom_bytes(C_FIND_RSP(), primitive)


@pytest.mark.parametrize("status", [0x0000, 0x0211])
def test_a_c_echo_rsp_is_byte_for_byte_pynetdicoms(status):
    primitive = C_ECHO()
    primitive.MessageIDBeingRespondedTo = 3
    primitive.AffectedSOPClassUID = Verification
    primitive.Status = status
    ours = command_set.response(command_set.C_ECHO_RSP, 3, Verification, status)
    assert ours == pynetdicom_bytes(C_ECHO_RSP(), primitive)


def pynetdicom_received(raw_command: bytes):
    """What pynetdicom's own DIMSE decoding makes of a command-only P-DATA."""
    from pynetdicom import AE
    from pynetdicom.association import Association
    from pynetdicom.dimse import DIMSEServiceProvider
    from pynetdicom.pdu_primitives import P_DATA

    provider = DIMSEServiceProvider(Association(AE(), "requestor"))
    pdata = P_DATA()
    pdata.presentation_data_value_list.append((3, b"\x03" + raw_command))
    provider.receive_primitive(pdata)
    return provider.msg_queue.get(block=False), pdata


@pytest.mark.parametrize("status", [0x0000, 0xB007, 0xA700, 0xC000])
def test_a_plain_c_store_rsp_is_received_as_pynetdicom_receives_it(status):
    from emulator.dicom.received import store_response

    raw = command_set.response(
        command_set.C_STORE_RSP, 9, CTImageStorage, status, "1.2.826.0.1.3680043.10.1089.9.1"
    )
    (context_id, theirs), pdata = pynetdicom_received(raw)
    found = store_response(pdata)
    assert found is not None
    ours_context, ours = found
    assert ours_context == context_id == 3
    fields = (
        "MessageIDBeingRespondedTo",
        "AffectedSOPClassUID",
        "AffectedSOPInstanceUID",
        "Status",
        "ErrorComment",
        "OffendingElement",
    )
    assert {f: getattr(ours, f) for f in fields} == {f: getattr(theirs, f) for f in fields}
    assert ours.is_valid_response
    assert theirs.is_valid_response


def test_any_other_message_is_left_to_pynetdicom():
    from pynetdicom.dimse_messages import C_STORE_RSP as Message
    from pynetdicom.pdu_primitives import P_DATA

    from emulator.dicom.received import store_response

    primitive = C_STORE()
    primitive.MessageIDBeingRespondedTo = 9
    primitive.AffectedSOPClassUID = CTImageStorage
    primitive.AffectedSOPInstanceUID = "1.2.3"
    primitive.Status = 0xA900
    primitive.ErrorComment = "SOP class mismatch"  # a field beyond Status
    with_comment = pynetdicom_bytes(Message(), primitive)
    echo = command_set.response(command_set.C_ECHO_RSP, 1, Verification, 0)
    store_rq = command_set.c_store_rq(1, CTImageStorage, "1.2.3")
    for raw, flags in ((with_comment, 0x03), (echo, 0x03), (store_rq, 0x03), (echo, 0x01)):
        pdata = P_DATA()
        pdata.presentation_data_value_list.append((1, bytes([flags]) + raw))
        assert store_response(pdata) is None
    truncated = P_DATA()
    truncated.presentation_data_value_list.append((1, b"\x03" + echo[:-3]))
    assert store_response(truncated) is None
