"""C-ECHO (PS3.7 9.1.5) over a real association."""

import threading

import pytest
from pydicom.uid import CTImageStorage
from pynetdicom import AE, build_context

from storage import Index
from tests.helpers import associate, make_dataset, wait_until


def test_c_echo_answers_success_and_is_journaled(emulator):
    assoc = associate(emulator.dicom_port)
    status = assoc.send_c_echo()
    assoc.release()

    assert status.Status == 0x0000
    [message] = emulator.journal.messages(service="C-ECHO")
    assert message.status == 0x0000
    assert message.calling_ae == "TESTSCU"
    assert message.sop_class == "1.2.840.10008.1.1"  # Verification


def test_association_record_has_peer_titles_contexts_and_release(emulator):
    assoc = associate(emulator.dicom_port, calling="MODALITY1")
    assoc.send_c_echo()
    assoc.release()

    assert emulator.journal.wait_for(lambda: emulator.journal.associations(outcome="released"))
    [record] = emulator.journal.associations()
    assert (record.calling_ae, record.called_ae) == ("MODALITY1", "FABRICATOR")
    assert (record.contexts_proposed, record.contexts_accepted) == (1, 1)
    assert record.implementation_uid == str(__import__("pynetdicom").PYNETDICOM_IMPLEMENTATION_UID)
    assert record.messages == 1


def test_aborted_association_is_recorded_as_aborted(emulator):
    assoc = associate(emulator.dicom_port)
    assoc.abort()

    assert emulator.journal.wait_for(lambda: emulator.journal.associations(outcome="aborted"))


@pytest.mark.config(dicom__shutdown_grace=0.3)
def test_stop_aborts_associations_still_open_after_the_grace_period_and_keeps_the_index(
    emulator,
):
    assoc = associate(emulator.dicom_port, build_context(CTImageStorage))
    assert assoc.send_c_store(make_dataset()).Status == 0x0000
    index_path = emulator.index.path

    emulator.stop()

    assert wait_until(lambda: assoc.is_aborted)
    reopened = Index.open(index_path)
    try:
        assert reopened.counts()["instances"] == 1
        assert reopened.instance(make_dataset().SOPInstanceUID) is not None
    finally:
        reopened.close()


def test_no_thread_of_the_emulator_outlives_stop(tmp_path):
    """Association reactors and DUL threads, a commitment report waiting out its delay, the
    listeners: all gone once stop returns, so nothing logs after it (pytest's capture closes)."""
    from emulator import Emulator
    from tests.conftest import make_config
    from tests.helpers.commitment import COMMITMENT, INSTANCE, request

    before = set(threading.enumerate())
    config = make_config(tmp_path / "data", commitment__delay=30, dicom__shutdown_grace=0.2)
    emulator = Emulator(config).start()
    open_assoc = associate(emulator.dicom_port, build_context(CTImageStorage))  # left open
    released = associate(emulator.dicom_port)
    released.send_c_echo()
    released.release()
    ae = AE(ae_title="MOD1")
    ae.add_requested_context(COMMITMENT)
    waiting = ae.associate("127.0.0.1", emulator.dicom_port, ae_title=emulator.ae_title)
    waiting.send_n_action(request(), 1, COMMITMENT, INSTANCE)  # the report waits 30 s
    waiting.release()

    emulator.stop()
    left = [t for t in set(threading.enumerate()) - before if t.is_alive() and not mine(t)]

    assert [t.name for t in left] == []
    assert wait_until(lambda: open_assoc.is_aborted)


def mine(thread: threading.Thread) -> bool:
    """A thread of the test's own client associations (their reactor or their DUL)."""
    assoc = getattr(thread, "assoc", thread)
    return getattr(assoc, "is_requestor", False)
