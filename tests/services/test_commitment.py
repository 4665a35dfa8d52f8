"""Storage Commitment Push Model SCP (PS3.4 Annex J) over real associations."""

from __future__ import annotations

import threading

import pytest
from pynetdicom import AE, evt

from emulator.remotes import RemoteAE
from tests.helpers import make_dataset, part10, uid, wait_until
from tests.helpers.commitment import COMMITMENT, CT, INSTANCE, TRANSACTION, Modality, request


@pytest.fixture
def stored(emulator):
    for i in (1, 2):
        emulator.archive.import_instance(part10(make_dataset(instance=i)))
    return emulator


def test_all_committed_is_event_type_1_on_the_same_association_after_the_response(stored):
    modality = Modality()
    status = modality.ask(stored, (CT, uid(1, 1, 1, 1)), (CT, uid(1, 1, 1, 2)), keep_open=5)
    assert status.Status == 0x0000
    event_type, info, on_acceptor = modality.report()
    assert (event_type, on_acceptor) == (1, False)  # on the modality's own association
    assert info.TransactionUID == TRANSACTION
    assert sorted(i.ReferencedSOPInstanceUID for i in info.ReferencedSOPSequence) == [
        uid(1, 1, 1, 1),
        uid(1, 1, 1, 2),
    ]
    assert "FailedSOPSequence" not in info
    # PS3.4 J.3.3: the N-ACTION-RSP (0x8130) comes before the N-EVENT-REPORT-RQ (0x0100)
    assert modality.order.index(0x8130) < modality.order.index(0x0100)
    [record] = stored.archive.commitments.all()
    assert (record.state, record.delivered_via, record.event_type) == (
        "reported",
        "same association",
        1,
    )


def test_unknown_and_mismatched_instances_fail_with_their_reasons(stored):
    modality = Modality()
    mr = "1.2.840.10008.5.1.4.1.1.4"
    modality.ask(
        stored,
        (CT, uid(1, 1, 1, 1)),
        (CT, "1.2.3.999"),  # not in the archive
        (mr, uid(1, 1, 1, 2)),  # stored as CT
        keep_open=5,
    )
    event_type, info, _ = modality.report()
    assert event_type == 2
    assert [i.ReferencedSOPInstanceUID for i in info.ReferencedSOPSequence] == [uid(1, 1, 1, 1)]
    reasons = {i.ReferencedSOPInstanceUID: i.FailureReason for i in info.FailedSOPSequence}
    assert reasons == {"1.2.3.999": 0x0112, uid(1, 1, 1, 2): 0x0119}


@pytest.mark.config(commitment__mode="new")
def test_new_mode_reports_on_a_new_association_to_the_registered_requestor(stored):
    modality = Modality("MOD2", listen=True)
    stored.remote_aes.put(RemoteAE("mod2", "MOD2", "127.0.0.1", modality.port))
    try:
        modality.ask(stored, (CT, uid(1, 1, 1, 1)))
        event_type, _, on_acceptor = modality.report()
    finally:
        modality.stop()
    assert (event_type, on_acceptor) == (1, True)  # the emulator called the modality
    assert wait_until(lambda: stored.archive.commitments.all()[0].state == "reported")
    assert stored.archive.commitments.all()[0].delivered_via == "new association"


@pytest.mark.config(commitment__delay=0.5)
def test_auto_mode_falls_back_to_a_new_association_once_the_first_is_released(stored):
    modality = Modality("MOD3", listen=True)
    stored.remote_aes.put(RemoteAE("mod3", "MOD3", "127.0.0.1", modality.port))
    try:
        modality.ask(stored, (CT, uid(1, 1, 1, 1)))  # released at once; the report comes later
        _, _, on_acceptor = modality.report()
    finally:
        modality.stop()
    assert on_acceptor is True
    assert wait_until(
        lambda: stored.archive.commitments.all()[0].delivered_via == "new association"
    )


def test_auto_mode_reports_on_a_new_association_when_the_requestor_releases_at_once(stored):
    """As Orthanc does by default: release right after the N-ACTION-RSP, with no delay set.
    The report must not go out on that association (it would never be answered)."""
    modality = Modality("MOD4", listen=True)
    stored.remote_aes.put(RemoteAE("mod4", "MOD4", "127.0.0.1", modality.port))
    try:
        for n in range(1, 6):
            status = modality.ask(stored, (CT, uid(1, 1, 1, 1)), transaction=uid(79, n))
            assert status.Status == 0x0000
            _, info, on_acceptor = modality.report()
            assert on_acceptor is True
            assert info.TransactionUID == uid(79, n)
    finally:
        modality.stop()
    assert wait_until(
        lambda: (
            [r.delivered_via for r in stored.archive.commitments.all()] == ["new association"] * 5
        )
    )
    assert not stored.journal.associations(outcome="aborted")


@pytest.mark.config(commitment__auto_grace=0.3)
def test_auto_mode_falls_back_when_the_report_is_not_answered_within_the_grace(stored):
    modality = Modality("MOD5", listen=True)
    stored.remote_aes.put(RemoteAE("mod5", "MOD5", "127.0.0.1", modality.port))
    silent = threading.Event()

    def ignore_on_the_first_association(event):
        if not event.assoc.is_acceptor:
            silent.wait(2)  # longer than the grace: the emulator gives up on this one
        return modality._report(event)

    modality.handlers[0] = (evt.EVT_N_EVENT_REPORT, ignore_on_the_first_association)
    try:
        modality.ask(stored, (CT, uid(1, 1, 1, 1)), keep_open=1.5)
        reports = [modality.report(), modality.report()]
    finally:
        silent.set()
        modality.stop()
    assert {on_acceptor for _, _, on_acceptor in reports} == {True, False}
    assert wait_until(
        lambda: stored.archive.commitments.all()[0].delivered_via == "new association"
    )


@pytest.mark.config(commitment__mode="same", commitment__delay=0.3)
def test_same_mode_with_the_association_gone_is_undeliverable_and_recorded(stored):
    Modality().ask(stored, (CT, uid(1, 1, 1, 1)))
    assert wait_until(lambda: stored.archive.commitments.all()[0].state == "undeliverable")
    assert "closed" in stored.archive.commitments.all()[0].detail


@pytest.mark.config(commitment__mode="new")
def test_an_unregistered_requestor_cannot_be_called_back_and_that_is_recorded(stored, caplog):
    Modality("NOBODY").ask(stored, (CT, uid(1, 1, 1, 1)))
    assert wait_until(lambda: stored.archive.commitments.all()[0].state == "undeliverable")
    assert "not a registered remote AE" in stored.archive.commitments.all()[0].detail


def test_a_per_ae_delay_and_mode_override_the_settings(stored):
    modality = Modality("MOD4", listen=True)
    stored.remote_aes.put(
        RemoteAE("mod4", "MOD4", "127.0.0.1", modality.port, commitment_mode="new")
    )
    try:
        modality.ask(stored, (CT, uid(1, 1, 1, 1)), keep_open=1)
        _, _, on_acceptor = modality.report()
    finally:
        modality.stop()
    assert on_acceptor is True  # new, though the association was still open


@pytest.mark.parametrize(
    ("action", "instance", "info", "code"),
    [
        (2, INSTANCE, request((CT, "1.2.3")), 0x0123),  # no such action
        (1, "1.2.3.4", request((CT, "1.2.3")), 0x0112),  # not the well-known instance
        (1, INSTANCE, request((CT, "1.2.3"), transaction=""), 0x0120),
        (1, INSTANCE, request(), 0x0120),  # nothing to commit
        (1, INSTANCE, request((CT, "1.2.3"), transaction="1.02"), 0x0106),
    ],
)
def test_a_malformed_commitment_request_is_refused_with_its_status(
    stored, action, instance, info, code
):
    ae = AE(ae_title="MOD1")
    ae.add_requested_context(COMMITMENT)
    assoc = ae.associate("127.0.0.1", stored.dicom_port, ae_title=stored.ae_title)
    try:
        status, _ = assoc.send_n_action(info, action, COMMITMENT, instance)
    finally:
        assoc.release()
    assert status.Status == code
    assert status.ErrorComment
    assert stored.archive.commitments.all() == []


def test_one_commitment_request_is_shown_by_the_admin_api(stored):
    import json
    import urllib.error
    import urllib.request

    Modality().ask(stored, (CT, uid(1, 1, 1, 1)), keep_open=2)
    [record] = stored.archive.commitments.all()
    url = f"{stored.admin_url}/api/commitments/{record.pk}"
    with urllib.request.urlopen(url, timeout=5) as response:
        shown = json.load(response)
    assert (shown["id"], shown["transaction_uid"], shown["requested"]) == (
        record.pk,
        TRANSACTION,
        1,
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{stored.admin_url}/api/commitments/999", timeout=5)
    assert raised.value.code == 404
