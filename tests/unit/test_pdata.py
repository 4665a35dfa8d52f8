"""P-DATA-TF PDUs as the emulator writes them: fragments as pynetdicom makes them, and large
data sets gathered from their pieces instead of copied."""

from __future__ import annotations

import socket
import threading
from io import BytesIO

import pytest
from pynetdicom.dimse_messages import C_STORE_RQ
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.pdu import P_DATA_TF
from pynetdicom.sop_class import CTImageStorage

from emulator.dicom.commands import pdata_pdus, pdv_pieces
from emulator.dicom.wire import _sendmsg_all


@pytest.mark.parametrize("size", [1, 16_377, 16_378, 16_379, 524_288 + 11])
@pytest.mark.parametrize("max_pdu", [16_384, 0])
def test_a_data_set_is_fragmented_as_pynetdicom_fragments_it(size, max_pdu):
    data = bytes(i % 251 for i in range(size))
    primitive = C_STORE()
    primitive.MessageID = 1
    primitive.AffectedSOPClassUID = CTImageStorage
    primitive.AffectedSOPInstanceUID = "1.2.3"
    primitive.Priority = 2
    primitive.DataSet = BytesIO(data)
    message = C_STORE_RQ()
    message.primitive_to_message(primitive)
    theirs = b"".join(
        P_DATA_TF(pdata).encode()
        for pdata in message.encode_msg(1, max_pdu)
        if pdata.presentation_data_value_list[0][1][0] & 0x01 == 0  # the data set's PDUs
    )
    assert bytes(pdata_pdus(1, data, False, max_pdu)) == theirs
    assert b"".join(pdv_pieces(1, data, max_pdu)) == theirs


class CountingSocket(socket.socket):
    calls = 0

    def sendmsg(self, *args, **kwargs):  # type: ignore[override]
        self.calls += 1
        return super().sendmsg(*args, **kwargs)


def test_gathered_pieces_arrive_whole_and_in_order_through_a_slow_reader():
    """sendmsg may take part of what it is given; every byte still goes, once, in order."""
    pieces = [bytes([n % 256]) * (100 + n * 7) for n in range(700)]  # two sendmsg batches
    pair = socket.socketpair()
    left, right = CountingSocket(fileno=pair[0].detach()), pair[1]
    left.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    left.settimeout(10)  # as a socket with a timeout, sendmsg returns what fitted
    received = bytearray()

    def read() -> None:
        while chunk := right.recv(3000):
            received.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for start in range(0, len(pieces), 512):
            _sendmsg_all(left, [memoryview(p) for p in pieces[start : start + 512]])
    finally:
        left.close()
        reader.join(10)
        right.close()
    assert bytes(received) == b"".join(pieces)
    assert left.calls > 2  # partial sends happened, and were completed
