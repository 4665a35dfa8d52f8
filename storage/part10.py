"""Part 10 framing: the preamble, ``DICM`` and the File Meta Information (PS3.10 §7.1).

Group 0002 is always Explicit VR Little Endian with a fixed set of elements, so it is encoded
directly here: through pydicom it cost more per C-STORE than indexing the instance. A test
checks the bytes against pydicom's own encoding.
"""

from __future__ import annotations

import struct

PREAMBLE = b"\x00" * 128 + b"DICM"
_VERSION = b"\x02\x00\x01\x00OB\x00\x00" + struct.pack("<I", 2) + b"\x00\x01"


def _element(element: int, vr: bytes, value: str, pad: bytes) -> bytes:
    data = value.encode("ascii", "replace")
    if len(data) % 2:
        data += pad
    return struct.pack("<HH", 0x0002, element) + vr + struct.pack("<H", len(data)) + data


def file_meta(
    sop_class_uid: str,
    sop_instance_uid: str,
    transfer_syntax_uid: str,
    implementation_class_uid: str,
    implementation_version_name: str = "",
    source_ae_title: str = "",
) -> bytes:
    """Preamble, prefix and encoded File Meta Information for one instance."""
    body = b"".join(
        (
            _VERSION,
            _element(0x0002, b"UI", sop_class_uid, b"\x00"),
            _element(0x0003, b"UI", sop_instance_uid, b"\x00"),
            _element(0x0010, b"UI", transfer_syntax_uid, b"\x00"),
            _element(0x0012, b"UI", implementation_class_uid, b"\x00"),
            _element(0x0013, b"SH", implementation_version_name, b" ")
            if implementation_version_name
            else b"",
            _element(0x0016, b"AE", source_ae_title, b" ") if source_ae_title else b"",
        )
    )
    group_length = b"\x02\x00\x00\x00UL\x04\x00" + struct.pack("<I", len(body))
    return PREAMBLE + group_length + body
