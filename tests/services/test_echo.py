"""C-ECHO (PS3.7 9.1.5) over a real association."""

from tests.helpers import associate


def test_c_echo_answers_success_and_is_journaled(emulator):
    assoc = associate(emulator.dicom_port)
    status = assoc.send_c_echo()
    assoc.release()

    assert status.Status == 0x0000
    [message] = emulator.journal.messages(service="C-ECHO")
    assert message.status == 0x0000
    assert message.calling_ae == "TESTSCU"


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
