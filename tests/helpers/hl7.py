"""HL7 v2 orders and MLLP framing, as the HL7 and workflow specs send them."""

from __future__ import annotations

import socket

STUDY = "1.2.826.0.1.3680043.10.1089.81.1"


def orm(control: str = "NW", accession: str = "ACC1001", **fields: str) -> str:
    """An ORM^O01 order as a RIS sends it (HL7 v2.3.1, IHE RAD-2/RAD-4 with ZDS)."""
    pid3 = fields.get("pid3", "PAT-77^^^HOSP")
    start = fields.get("start", "20261122093000")
    segments = [
        f"MSH|^~\\&|RIS|HOSP|PACS|HOSP|20261122075500||{fields.get('type', 'ORM^O01')}|"
        f"MSG{control}{accession}|P|2.3.1",
        f"PID|1||{pid3}||DOE^JANE^Q^^DR||19800215|F",
        "PV1|1|O||||||1234^HOUSE^GREGORY|||||||||||V555",
        f"ORC|{control}|PL{accession}|FI{accession}||SC",
        f"OBR|1|PL{accession}|FI{accession}|CT001^{fields.get('description', 'CT CHEST')}^L"
        "|||20261122090000|||||||||||"
        f"{accession}|RP{accession}|SPS{accession}|CT01|||CT|||^^^{start}",
        f"ZDS|{fields.get('study', STUDY)}^HOSP^Application^DICOM",
    ]
    return "\r".join(segments) + "\r"


def mllp(port: int, *messages: str | bytes) -> list[str]:
    """Send *messages* over one MLLP connection; return the ACKs."""
    acks = []
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        for message in messages:
            raw = message if isinstance(message, bytes) else message.encode()
            conn.sendall(b"\x0b" + raw + b"\x1c\r")
            data = b""
            while not data.endswith(b"\x1c\r"):
                chunk = conn.recv(65536)
                assert chunk, "the listener closed the connection"
                data += chunk
            assert data.startswith(b"\x0b")
            acks.append(data[1:-2].decode())
    return acks


def adt(event: str, pid3: str, name: str = "", birth: str = "", sex: str = "",
        mrg1: str | None = None) -> str:  # fmt: skip
    """An ADT message of *event* (A08, A40, A47...) for PID-3 *pid3*, with an MRG segment
    naming the prior patient when *mrg1* is given (HL7 v2.5)."""
    structure = {"A40": "ADT_A39", "A34": "ADT_A30", "A35": "ADT_A30", "A47": "ADT_A30",
                 "A18": "ADT_A18", "A31": "ADT_A05"}.get(event, "ADT_A01")  # fmt: skip
    segments = [
        f"MSH|^~\\&|HIS|HOSP|PACS|HOSP|20261202101500||ADT^{event}^{structure}|"
        f"ADT{event}{pid3}|P|2.5",
        f"EVN|{event}|20261202101500",
        f"PID|1||{pid3}||{name}||{birth}|{sex}",
    ]
    if mrg1 is not None:
        segments.append(f"MRG|{mrg1}")
    return "\r".join(segments) + "\r"


def oru(accession: str, lines: list[str], status: str = "F") -> str:
    """An ORU^R01 with a report's text, a TX OBX a line, for the order of *accession*."""
    obr = ["OBR", "1", f"PL{accession}", f"FI{accession}", "CT001^CT CHEST^L", "", "",
           "20261202110000", *[""] * 10, accession, "", "", "", "20261202120000", "", "",
           status, *[""] * 6, "1234&HOUSE&GREGORY"]  # fmt: skip
    assert (obr[18], obr[25]) == (accession, status)
    segments = [
        f"MSH|^~\\&|RIS|HOSP|PACS|HOSP|20261202120000||ORU^R01^ORU_R01|ORU{accession}|P|2.5",
        "PID|1||PAT-77^^^HOSP||DOE^JANE",
        "|".join(obr),
    ]
    segments += [f"OBX|{n}|TX|REPORT^Report^L||{line}||||||{status}"
                 for n, line in enumerate(lines, 1)]  # fmt: skip
    return "\r".join(segments) + "\r"
