"""Fuzzed PDUs and malformed DIMSE messages on the DICOM port of a served emulator: each one
ends that connection with at most a line or two in the log, never a traceback, and the emulator
keeps serving."""

from __future__ import annotations

import random
import signal
import struct

from tests.helpers import associate, serve_subprocess
from tests.helpers.pdus import associate_rq, exchange, p_data


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
