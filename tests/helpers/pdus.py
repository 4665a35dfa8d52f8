"""Hand-made PDUs for the robustness specs: what a peer that is not pynetdicom can send."""

from __future__ import annotations

import socket
import struct

from pydicom.uid import ImplicitVRLittleEndian
from pynetdicom.sop_class import Verification

APPLICATION_CONTEXT = b"1.2.840.10008.3.1.1.1"


def item(kind: int, body: bytes) -> bytes:
    return struct.pack(">BxH", kind, len(body)) + body


def associate_rq(called: bytes = b"FABRICATOR") -> bytes:
    """A valid A-ASSOCIATE-RQ proposing Verification in Implicit VR Little Endian."""
    context = bytes([1, 0, 0, 0])  # presentation context ID 1
    presentation = item(
        0x20,
        context + item(0x30, Verification.encode()) + item(0x40, ImplicitVRLittleEndian.encode()),
    )
    user = item(0x50, item(0x51, struct.pack(">I", 16384)))
    body = (
        struct.pack(">H", 1)
        + b"\x00\x00"
        + called.ljust(16)
        + b"FUZZER".ljust(16)
        + bytes(32)
        + item(0x10, APPLICATION_CONTEXT)
        + presentation
        + user
    )
    return struct.pack(">BxI", 1, len(body)) + body


def p_data(pdv: bytes, context_id: int = 1, control: int = 0x03) -> bytes:
    """A P-DATA-TF with one PDV (*control* 0x03: the last fragment of a command)."""
    value = bytes([context_id, control]) + pdv
    body = struct.pack(">I", len(value)) + value
    return struct.pack(">BxI", 4, len(body)) + body


def exchange(port: int, request: bytes, *then: bytes) -> bytes:
    """Send *request*; with messages to send *then*, read the answer first and send them;
    then half-close and read until the emulator closes the connection."""
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        if then:
            received += s.recv(65536)
            for message in then:
                s.sendall(message)
        try:
            s.shutdown(socket.SHUT_WR)
            while chunk := s.recv(65536):
                received += chunk
        except OSError:
            pass  # reset by the emulator: as good as closed
    return received
