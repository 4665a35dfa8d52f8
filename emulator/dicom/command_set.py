"""DIMSE command sets encoded straight to bytes, for the messages sent by the hundred.

pynetdicom builds every command set as a pydicom Dataset (a primitive, then a message class,
then ``write_dataset``): about 0.3 ms per message, which is most of what a C-MOVE or C-GET
costs per sub-operation here: its C-STORE-RQ and the Pending response that follows it.
A command set is always Implicit VR Little Endian (PS3.7 6.3.1) with a fixed set of elements
(PS3.7 E.1), so these few are written with :mod:`struct` instead, byte for byte what
pynetdicom writes (``tests/unit/test_command_set.py`` compares them).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

# PS3.7 Annex E: the command elements written here, with their VRs
_VR = {
    0x0002: "UI",  # Affected SOP Class UID
    0x0100: "US",  # Command Field
    0x0110: "US",  # Message ID
    0x0120: "US",  # Message ID Being Responded To
    0x0700: "US",  # Priority
    0x0800: "US",  # Command Data Set Type
    0x0900: "US",  # Status
    0x1000: "UI",  # Affected SOP Instance UID
    0x1020: "US",  # Number of Remaining Sub-operations
    0x1021: "US",  # Number of Completed Sub-operations
    0x1022: "US",  # Number of Failed Sub-operations
    0x1023: "US",  # Number of Warning Sub-operations
    0x1030: "AE",  # Move Originator Application Entity Title
    0x1031: "US",  # Move Originator Message ID
}

C_STORE_RQ = 0x0001
C_STORE_RSP = 0x8001
C_FIND_RSP = 0x8020
C_ECHO_RSP = 0x8030
C_GET_RSP = 0x8010
C_MOVE_RSP = 0x8021
DATA_SET = 0x0001  # Command Data Set Type: a data set follows
NO_DATA_SET = 0x0101

_US = struct.Struct("<HHLH")  # group, element, length 2, value
_HEADER = struct.Struct("<HHL")  # group, element, length


def _element(element: int, value: int | str) -> bytes:
    vr = _VR[element]
    if vr == "US":
        return _US.pack(0, element, 2, int(value))
    raw = str(value).encode("ascii")
    if len(raw) % 2:
        raw += b"\x00" if vr == "UI" else b" "  # PS3.5 6.2: UI pads with NUL, AE with space
    return _HEADER.pack(0, element, len(raw)) + raw


def encode(elements: Iterable[tuple[int, int | str | None]]) -> bytes:
    """The command set of (element number, value) pairs in group 0000, ascending, with its
    Command Group Length first. None values are left out, as pynetdicom leaves out the
    parameters a primitive does not have."""
    body = b"".join(_element(e, v) for e, v in sorted(elements) if v is not None)
    return _HEADER.pack(0, 0, 4) + struct.pack("<L", len(body)) + body


def c_store_rq(
    message_id: int,
    sop_class: str,
    sop_instance: str,
    priority: int = 2,
    originator_aet: str | None = None,
    originator_id: int | None = None,
) -> bytes:
    """A C-STORE-RQ (PS3.7 9.3.1.1) with a data set to follow."""
    return encode(
        [
            (0x0002, sop_class),
            (0x0100, C_STORE_RQ),
            (0x0110, message_id),
            (0x0700, priority),
            (0x0800, DATA_SET),
            (0x1000, sop_instance),
            (0x1030, originator_aet or None),
            (0x1031, originator_id),
        ]
    )


def response(
    command_field: int,
    responding_to: int,
    sop_class: str,
    status: int,
    sop_instance: str | None = None,
    data_set: bool = False,
) -> bytes:
    """A response with no status fields beyond Status: a C-STORE-RSP (PS3.7 9.3.1.2, with its
    Affected SOP Instance UID), a C-FIND-RSP (9.3.2.2; *data_set*: an identifier follows,
    as in a Pending one) or a C-ECHO-RSP (9.3.5.2)."""
    return encode(
        [
            (0x0002, sop_class),
            (0x0100, command_field),
            (0x0120, responding_to),
            (0x0800, DATA_SET if data_set else NO_DATA_SET),
            (0x0900, status),
            (0x1000, sop_instance),
        ]
    )


def retrieve_rsp(
    command_field: int,
    responding_to: int,
    sop_class: str,
    status: int,
    remaining: int | None,
    completed: int,
    failed: int,
    warning: int,
) -> bytes:
    """A C-MOVE-RSP or C-GET-RSP (PS3.7 9.3.4.2, 9.3.3.2) with its sub-operation counts and
    no identifier (remaining None: left out, as in a final response)."""
    return encode(
        [
            (0x0002, sop_class),
            (0x0100, command_field),
            (0x0120, responding_to),
            (0x0800, NO_DATA_SET),
            (0x0900, status),
            (0x1020, remaining),
            (0x1021, completed),
            (0x1022, failed),
            (0x1023, warning),
        ]
    )


_ELEMENT_HEADER = struct.Struct("<HHL")


def decode(raw: bytes | memoryview) -> dict[int, bytes] | None:
    """The elements of an encoded command set (Implicit VR Little Endian, group 0000) by
    element number, values as bytes; None if *raw* is not one."""
    elements: dict[int, bytes] = {}
    view = memoryview(raw)
    at = 0
    while at < len(view):
        if at + 8 > len(view):
            return None
        group, element, length = _ELEMENT_HEADER.unpack_from(view, at)
        at += 8
        if group != 0 or at + length > len(view):
            return None
        elements[element] = bytes(view[at : at + length])
        at += length
    return elements


def us(value: bytes | None) -> int | None:
    """A US value of :func:`decode`'s (None: absent or not two bytes)."""
    return int.from_bytes(value, "little") if value is not None and len(value) == 2 else None


def text(value: bytes | None) -> str | None:
    """A UI or AE value of :func:`decode`'s, its padding removed (None: absent)."""
    return value.decode("ascii", "replace").rstrip("\x00 ") if value is not None else None
