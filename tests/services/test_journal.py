"""The request journal records what the client actually sent, over real associations."""

from __future__ import annotations

import time

from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE, build_role
from pynetdicom.sop_class import (
    CTImageStorage,
    MRImageStorage,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
)

from tests.helpers import associate, find, make_dataset, query, wait_until


def test_an_association_record_has_the_proposed_and_accepted_contexts_and_roles(emulator):
    ae = AE(ae_title="MODALITY1")
    ae.add_requested_context(CTImageStorage, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
    ae.add_requested_context("1.2.3.4.5.6")  # an abstract syntax nobody supports
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    assoc = ae.associate(
        "127.0.0.1",
        emulator.dicom_port,
        ae_title="ANYTHING",
        ext_neg=[build_role(CTImageStorage, scp_role=True)],
    )
    assert assoc.is_established
    assoc.release()
    assert wait_until(lambda: emulator.journal.associations(outcome="released"))
    [record] = emulator.journal.associations()
    assert (record.calling_ae, record.called_ae) == ("MODALITY1", "ANYTHING")  # as called
    ct, unknown, get = record.contexts
    accepted = ct.pop("transfer_syntax")
    assert ct == {
        "id": 1,
        "abstract_syntax": CTImageStorage,
        "transfer_syntaxes": [ExplicitVRLittleEndian, ImplicitVRLittleEndian],
        "result": "Accepted",
    }
    assert accepted in (ExplicitVRLittleEndian, ImplicitVRLittleEndian)
    assert unknown["result"] == "Abstract Syntax Not Supported"
    assert "transfer_syntax" not in unknown
    assert get["result"] == "Accepted"
    assert record.roles == {CTImageStorage: {"scu": False, "scp": True}}  # as proposed
    assert record.max_pdu == ae.maximum_pdu_size
    assert record.implementation_uid == ae.implementation_class_uid


def test_a_store_record_has_what_was_stored_and_a_find_record_the_identifier(emulator):
    assoc = associate(emulator.dicom_port, CTImageStorage, MRImageStorage)
    assert assoc.send_c_store(make_dataset()).Status == 0
    assoc.release()
    [store] = emulator.journal.messages(service="C-STORE")
    dataset = store.extra["dataset"]
    assert dataset["00100020"] == {"vr": "LO", "Value": ["PID001"]}
    assert dataset["00080060"] == {"vr": "CS", "Value": ["CT"]}
    assert dataset["0020000D"]["Value"] == [make_dataset().StudyInstanceUID]

    find(emulator.dicom_port, query("STUDY", PatientID="PID*", StudyInstanceUID=""))
    [record] = emulator.journal.messages(service="C-FIND")
    assert record.sop_class == StudyRootQueryRetrieveInformationModelFind
    identifier = record.extra["identifier"]
    assert identifier["00100020"] == {"vr": "LO", "Value": ["PID*"]}
    assert identifier["00080052"] == {"vr": "CS", "Value": ["STUDY"]}
    assert record.matches == 1


def test_both_kinds_of_record_start_in_seconds_since_the_epoch(emulator):
    before = time.time()
    assoc = associate(emulator.dicom_port)
    assoc.send_c_echo()
    assoc.release()
    assert emulator.journal.wait_for(lambda: emulator.journal.associations(outcome="released"))
    [association] = [r.as_dict() for r in emulator.journal.associations()]
    [message] = [r.as_dict() for r in emulator.journal.messages()]
    assert before <= association["started"] <= message["started"] <= time.time()
    assert "clock" not in message
    assert "at" not in message
    assert message["ms"] >= 0


def test_a_record_s_dict_is_every_field_but_its_clock_with_nested_values_copied():
    from dataclasses import asdict

    from emulator.journal import AssociationRecord, HttpRecord, MessageRecord

    association = AssociationRecord(
        1, "127.0.0.1:4000", 1.0, contexts=[{"id": 1, "transfer_syntaxes": ["1.2.840.10008.1.2"]}],
        roles={"1.2": {"scu": True, "scp": None}}, faults=["r:delay"],
    )  # fmt: skip
    assert association.as_dict() == {"kind": "association", **asdict(association)}
    shown = association.as_dict()
    shown["contexts"][0]["transfer_syntaxes"].append("changed")
    assert association.contexts[0]["transfer_syntaxes"] == ["1.2.840.10008.1.2"]
    message = MessageRecord(2, 1, 3, "C-STORE", "MOD", 1.0, status=0xA700,
                            extra={"identifier": {"00100020": {"vr": "LO"}}})  # fmt: skip
    expected = {"kind": "message", **asdict(message), "status": "0xA700"}
    del expected["clock"]
    assert message.as_dict() == expected
    http = HttpRecord(3, "GET", "/studies", "", "*/*", "QIDO-RS", "127.0.0.1", 1.0)
    assert "clock" not in http.as_dict()
    assert http.as_dict()["kind"] == "http"
