"""HL7 v2 orders (ORM^O01, OMI^O23) over HTTP and MLLP, answered with ACKs, into the worklist."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest
from pydicom.dataset import Dataset

from tests.helpers import find
from tests.helpers.hl7 import STUDY, mllp, orm


def omi() -> str:
    """An OMI^O23 (HL7 v2.5.1, IHE RAD-4): TQ1 holds the start, IPC the DICOM keys."""
    return "\r".join(
        [
            "MSH|^~\\&|RIS|HOSP|PACS|HOSP|20261122075500||OMI^O23^OMI_O23|MSG9|P|2.5.1",
            "PID|1||PAT-88^^^HOSP||ROE^RICHARD||19700101|M",
            "ORC|NW|PL9|FI9||SC",
            "TQ1|1||||||20261122110000",
            "OBR|1|PL9|FI9|MR010^MR BRAIN^L",
            "IPC|ACC9|RP9|1.2.826.0.1.3680043.10.1089.81.9|SPS9|MR||||MR01",
        ]
    )


def post(emulator, message: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        emulator.admin_url + "/api/hl7", data=message.encode(), method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def worklist(emulator, **keys) -> list[Dataset]:
    identifier = Dataset()
    for key in ("PatientName", "PatientID", "AccessionNumber", "StudyInstanceUID"):
        setattr(identifier, key, keys.get(key, ""))
    identifier.RequestedProcedureDescription = ""
    identifier.ReferringPhysicianName = ""
    step = Dataset()
    for key in (
        "ScheduledStationAETitle",
        "Modality",
        "ScheduledProcedureStepStartDate",
        "ScheduledProcedureStepStartTime",
        "ScheduledProcedureStepID",
    ):
        setattr(step, key, "")
    identifier.ScheduledProcedureStepSequence = [step]
    results, final = find(emulator.dicom_port, identifier, model="MWL")
    assert final.Status == 0x0000
    return results


def segment(ack: str, name: str) -> list[str]:
    [line] = [s for s in ack.split("\r") if s.startswith(name + "|")]
    return line.split("|")


def test_a_new_order_over_http_is_acknowledged_and_scheduled_as_mapped(emulator):
    status, body = post(emulator, orm())
    assert (status, body["ack_code"], body["order_control"]) == (200, "AA", "NW")
    msa = segment(body["ack"], "MSA")
    assert msa[1:3] == ["AA", "MSGNWACC1001"]  # acknowledges the message control ID
    [item] = worklist(emulator)
    assert str(item.PatientName) == "DOE^JANE^Q^DR"  # XPN prefix DR goes to the DICOM prefix
    assert (item.PatientID, item.AccessionNumber) == ("PAT-77", "ACC1001")
    assert item.StudyInstanceUID == STUDY  # ZDS-1
    assert str(item.ReferringPhysicianName) == "HOUSE^GREGORY"  # PV1-8 (XCN)
    assert item.RequestedProcedureDescription == "CT CHEST"
    step = item.ScheduledProcedureStepSequence[0]
    assert (step.ScheduledStationAETitle, step.Modality) == ("CT01", "CT")
    assert (step.ScheduledProcedureStepStartDate, step.ScheduledProcedureStepStartTime) == (
        "20261122",
        "093000",
    )
    assert step.ScheduledProcedureStepID == "SPSACC1001"


def test_an_omi_order_uses_its_ipc_and_tq1_segments(emulator):
    status, body = post(emulator, omi())
    assert (status, body["ack_code"]) == (200, "AA")
    [item] = worklist(emulator, AccessionNumber="ACC9")
    assert item.StudyInstanceUID == "1.2.826.0.1.3680043.10.1089.81.9"
    step = item.ScheduledProcedureStepSequence[0]
    assert (step.Modality, step.ScheduledStationAETitle) == ("MR", "MR01")
    assert step.ScheduledProcedureStepStartTime == "110000"


def test_cancel_removes_the_order_and_change_replaces_it_keeping_its_study(emulator):
    post(emulator, orm())
    status, body = post(
        emulator, orm("XO", description="CT CHEST HIGH RES", start="20261122140000", study="")
    )
    assert (status, body["ack_code"], body["removed"]) == (200, "AA", 1)
    [item] = worklist(emulator)
    assert item.RequestedProcedureDescription == "CT CHEST HIGH RES"
    assert item.ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartTime == "140000"
    assert item.StudyInstanceUID == STUDY  # kept from the order it changes
    status, body = post(emulator, orm("CA"))
    assert (status, body["ack_code"], body["removed"]) == (200, "AA", 1)
    assert worklist(emulator) == []


@pytest.mark.parametrize(
    ("message", "code", "where", "error", "reason"),
    [
        (
            orm("CA", accession="NOPE"),
            "AE",
            "OBR^1^18",
            "204",
            "no order with accession number NOPE",
        ),
        (orm(pid3=""), "AE", "PID^1^3", "101", "PID-3 (patient ID) is required"),
        (orm("SC"), "AE", "ORC^1^1", "103", "order control SC is not NW, CA or XO"),
        (orm(study="1.2.abc"), "AE", "ZDS^1^1", "102", "Study Instance UID"),
        (orm(type="SIU^S12"), "AR", "MSH^1^9", "200", "message type SIU^S12 is not an order"),
        ("this is not HL7", "AR", "MSH", "100", "does not start with an MSH segment"),
    ],
)
def test_orders_that_cannot_be_applied_get_ae_or_ar_with_an_err_segment(
    emulator, message, code, where, error, reason
):
    status, body = post(emulator, message)
    assert status == 400
    assert body["ack_code"] == code
    assert reason.replace("^", "/") in body["ack"].replace("^", "/")
    assert reason in body["detail"]
    err = segment(body["ack"], "ERR")
    assert err[2] == where
    assert err[3].split("^")[0] == error
    assert worklist(emulator) == []


@pytest.mark.config(hl7__port=0)
def test_orders_over_mllp_get_acks_on_the_same_connection(emulator):
    assert emulator.health()["hl7"]["port"] == emulator.hl7_port
    ack_new, ack_bad = mllp(emulator.hl7_port, orm(), orm(pid3=""))
    assert segment(ack_new, "MSA")[1] == "AA"
    assert segment(ack_bad, "MSA")[1] == "AE"
    assert [str(i.AccessionNumber) for i in worklist(emulator)] == ["ACC1001"]


@pytest.mark.config(hl7__port=0)
def test_broken_messages_over_mllp_get_an_ar_and_the_connection_goes_on(emulator):
    latin1 = orm().replace("DOE^JANE", "MÜLLER^JANE").encode("latin-1")
    acks = mllp(
        emulator.hl7_port,
        "MSH|^~\\&|",  # a header and nothing else
        "MSH|",
        b"\xff\xfe\x00garbage",  # not UTF-8, not HL7
        latin1,  # HL7's default character set is 8-bit: read, not refused
        orm(accession="ACC2"),
    )
    codes = [segment(ack, "MSA")[1] for ack in acks]
    assert codes == ["AR", "AR", "AR", "AA", "AA"]
    assert "MSH segment is too short" in segment(acks[0], "MSA")[3]
    assert "list index" not in "".join(acks)
    names = sorted(str(item.PatientName).split("^")[0] for item in worklist(emulator))
    assert names == ["DOE", "MÜLLER"]


@pytest.mark.config(hl7__port=0)
def test_a_malformed_mllp_block_closes_that_connection_and_the_listener_goes_on(emulator):
    with socket.create_connection(("127.0.0.1", emulator.hl7_port), timeout=5) as conn:
        conn.sendall(b"no start block\x1c\r")
        assert conn.recv(1024) == b""  # closed
    [ack] = mllp(emulator.hl7_port, orm())
    assert segment(ack, "MSA")[1] == "AA"


def test_the_hl7_listener_is_off_by_default(emulator):
    assert emulator.hl7_port is None
    assert emulator.health()["hl7"]["port"] is None


@pytest.mark.config(hl7__port=0)
def test_stopping_closes_mllp_connections_left_open(emulator):
    conn = socket.create_connection(("127.0.0.1", emulator.hl7_port), timeout=5)
    try:
        mllp(emulator.hl7_port, orm())  # another connection, served meanwhile
        emulator.stop()  # does not wait for the idle connection to go away by itself
        assert conn.recv(1024) == b""  # the listener closed it
    finally:
        conn.close()
