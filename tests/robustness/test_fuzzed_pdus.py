"""Fuzzed PDUs and malformed DIMSE messages on the DICOM port of a served emulator: each one
ends that connection with at most a line or two in the log, never a traceback, and the emulator
keeps serving."""

from __future__ import annotations

import random
import signal
import socket
import struct

from pydicom.uid import ImplicitVRLittleEndian
from pynetdicom.sop_class import Verification

from tests.helpers import associate, serve_subprocess

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


def test_fuzzed_pdus_log_no_traceback_and_the_emulator_keeps_serving(tmp_path):
    proc, ready = serve_subprocess(tmp_path / "data", "--empty")
    port = int(ready["dicom"].rsplit(":", 1)[1])
    try:
        valid = associate_rq()
        assert exchange(port, valid, b"")[0] == 0x02  # the unmutated request is accepted
        draw = random.Random(20261202)
        for _ in range(60):
            mutated = bytearray(valid)
            for _ in range(draw.randint(1, 6)):
                mutated[draw.randrange(6, len(mutated))] = draw.randrange(256)
            exchange(port, bytes(mutated))
        # Established, then DIMSE messages no decoder can make sense of.
        for pdv in (
            b"\xff" * 40,  # not a command set
            b"\x00\x00\x00\x00\x04\x00\x00\x00\x10\x00\x00\x00",  # group length, nothing after
            struct.pack("<HHI", 0, 0x0100, 2) + b"\x01\x00",  # CommandField only: no C-ECHO
            struct.pack("<HHI", 0, 0x0002, 70) + b"1." * 35,  # over-long Affected SOP Class
        ):
            exchange(port, valid, p_data(pdv))
        assoc = associate(port)
        assert assoc.send_c_echo().Status == 0x0000
        assoc.release()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "Logging error" not in err
    assert len(err.splitlines()) < 4 * 64, err  # a line or two per bad connection at most
