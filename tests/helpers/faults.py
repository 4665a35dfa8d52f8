"""Helpers for the scenario specs: clients that see what the emulator does on the wire."""

from __future__ import annotations

import socket
import threading
from typing import Any

from pynetdicom import evt
from pynetdicom.association import Association
from pynetdicom.sop_class import Verification

from tests.helpers import ClientAE


def client(port: int, *contexts: Any, calling: str = "TESTSCU", timeout: float = 10) -> Any:
    """A pynetdicom association (established or not) that records the ACSE primitives it
    receives in ``assoc.received`` (A_ASSOCIATE, A_ABORT, A_P_ABORT, A_RELEASE)."""
    received: list[Any] = []
    ae = ClientAE(ae_title=calling)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout
    for cx in contexts or (Verification,):
        ae.add_requested_context(cx)
    assoc = ae.associate(
        "127.0.0.1",
        port,
        ae_title="FABRICATOR",
        evt_handlers=[(evt.EVT_ACSE_RECV, lambda e: received.append(e.primitive))],
    )
    assoc.received = received  # type: ignore[attr-defined]
    return assoc


def received_kinds(assoc: Association) -> list[str]:
    return [type(p).__name__ for p in assoc.received]  # type: ignore[attr-defined]


def association_request(called: str = "FABRICATOR", calling: str = "RAWSCU") -> bytes:
    """The bytes of a pynetdicom A-ASSOCIATE-RQ (proposing Verification), captured from a
    listener that answers nothing."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        ae = ClientAE(ae_title=calling)
        ae.acse_timeout = 2
        ae.add_requested_context(Verification)
        thread = threading.Thread(target=ae.associate, args=("127.0.0.1", port, None, called))
        thread.start()
        conn, _ = listener.accept()
        with conn:
            header = _read(conn, 6)
            body = _read(conn, int.from_bytes(header[2:6], "big"))
        thread.join()
    return header + body


def _read(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def read_until_closed(conn: socket.socket, timeout: float = 5) -> tuple[bytes, str]:
    """Everything the peer sends until it closes: (bytes, "fin" or "reset")."""
    conn.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = conn.recv(65536)
        except ConnectionResetError:
            return data, "reset"
        if not chunk:
            return data, "fin"
        data += chunk
