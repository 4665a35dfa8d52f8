"""User Identity Negotiation (PS3.7 D.3.3.7): every identity accepted, journalled without its
secret, and a positive response given for a username when the requestor asks for one."""

from __future__ import annotations

import json

import pytest
from pydicom.data import get_testdata_file
from pynetdicom import AE as ClientAE
from pynetdicom.pdu_primitives import UserIdentityNegotiation
from pynetdicom.sop_class import Verification

from tests.helpers import associate, dcmtk

TOKEN = b"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0In0."  # a JSON Web Token, unsigned


def identity(kind: int, primary: bytes, secondary: bytes | None = None, positive: bool = True):
    item = UserIdentityNegotiation()
    item.user_identity_type = kind
    item.primary_field = primary
    if secondary is not None:
        item.secondary_field = secondary
    item.positive_response_requested = positive
    return item


def answered(assoc) -> list[bytes]:
    """The server responses of the User Identity sub-items in the A-ASSOCIATE-AC."""
    items = assoc.acceptor.primitive.user_information
    return [i.server_response for i in items if isinstance(i, UserIdentityNegotiation)]


def journalled(emulator) -> dict:
    [record] = emulator.journal.associations()
    return record.user_identity


@pytest.mark.parametrize(
    ("kind", "secondary"), [(1, None), (2, b"correct horse")], ids=["username", "passcode"]
)
def test_a_username_asking_for_a_positive_response_gets_an_empty_one(emulator, kind, secondary):
    assoc = associate(emulator.dicom_port, ext_neg=[identity(kind, b"alice", secondary)])
    try:
        assert answered(assoc) == [b""]  # PS3.7 Table D.3-15: zero length for types 1 and 2
        assert assoc.send_c_echo().Status == 0x0000
    finally:
        assoc.release()
    assert journalled(emulator) == {
        "type": kind,
        "kind": "username" if kind == 1 else "username and passcode",
        "username": "alice",
        "passcode": kind == 2,
        "positive_response_requested": True,
    }


def test_a_username_not_asking_for_a_response_gets_none(emulator):
    assoc = associate(emulator.dicom_port, ext_neg=[identity(1, b"bob", positive=False)])
    assoc.release()
    assert answered(assoc) == []
    assert journalled(emulator)["positive_response_requested"] is False


def test_a_token_is_accepted_without_an_answer_and_never_journalled(emulator):
    """Type 5's server response would be a token of the server's own: none is made up."""
    assoc = associate(emulator.dicom_port, ext_neg=[identity(5, TOKEN)])
    assoc.release()
    assert answered(assoc) == []
    record = emulator.journal.associations()[0]
    assert record.user_identity == {
        "type": 5,
        "kind": "JSON Web Token",
        "bytes": len(TOKEN),
        "positive_response_requested": True,
    }
    assert TOKEN.decode() not in json.dumps(record.as_dict())


@pytest.mark.interop
def test_storescu_with_a_password_and_pos_response_stores_and_the_password_stays_secret(
    emulator,
):
    """Without the positive response, DCMTK's storescu drops the association at once."""
    r = dcmtk(
        "storescu", "--user", "alice", "--password", "s3cret!", "--pos-response",
        "-aec", emulator.ae_title, "127.0.0.1", str(emulator.dicom_port),
        get_testdata_file("CT_small.dcm"),
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(emulator.journal.messages(service="C-STORE", status=0x0000)) == 1
    record = emulator.journal.associations()[0]
    assert record.user_identity["username"] == "alice"
    assert "s3cret!" not in json.dumps(record.as_dict())


REFUSE_MALLORY = """name: credentials
rules:
  - match: {phase: associate, username: mallory}
    action: {reject: {result: 1, source: 1, reason: 1}}
"""


def test_a_scenario_turns_away_a_username_and_the_journal_says_who(emulator):
    """A rule matching the User Identity's username rejects its association; others, and
    requestors without an identity, are served. The rejected record names the user."""
    emulator.load_scenario(REFUSE_MALLORY)
    refused = ClientAE()
    refused.add_requested_context(Verification)
    mallory = [identity(2, b"mallory", b"x")]
    port, called = emulator.dicom_port, emulator.ae_title
    assoc = refused.associate("127.0.0.1", port, ae_title=called, ext_neg=mallory)
    assert assoc.is_rejected
    for ext_neg in ([identity(1, b"alice")], []):
        assoc = associate(emulator.dicom_port, ext_neg=ext_neg)
        assert assoc.send_c_echo().Status == 0x0000
        assoc.release()
    first, *_ = emulator.journal.associations()
    assert (first.outcome, first.user_identity["username"]) == ("rejected", "mallory")
    assert first.faults  # the rule that fired


@pytest.mark.interop
def test_storescu_as_a_refused_user_is_rejected(emulator):
    emulator.load_scenario(REFUSE_MALLORY)
    r = dcmtk(
        "storescu", "--user", "mallory", "--password", "x", "-aec", emulator.ae_title,
        "127.0.0.1", str(emulator.dicom_port), get_testdata_file("CT_small.dcm"),
    )  # fmt: skip
    assert r.returncode != 0
    assert "Association Rejected" in r.stdout + r.stderr
    assert emulator.journal.messages(service="C-STORE") == []
