"""A C-STORE whose command and data set share one P-DATA-TF PDU (PS3.8 9.3.5 allows several
PDVs in a PDU, and the emulator's own C-MOVE sends small instances that way), and two such
requests in one write, are each stored and answered."""

from __future__ import annotations

from pynetdicom.dsutils import encode
from pynetdicom.sop_class import CTImageStorage

from emulator.dicom import command_set
from emulator.dicom.commands import send_messages
from emulator.dicom.outgoing import pause, resume
from tests.helpers import associate, make_dataset


def encoded(ds, implicit: bool) -> bytes:
    return encode(ds, implicit, True)  # the data set alone, no file meta


def test_two_stores_each_in_one_pdu_and_one_write_are_both_stored(emulator):
    assoc = associate(emulator.dicom_port, CTImageStorage)
    try:
        context = assoc._get_valid_context(CTImageStorage, "", "scu")
        implicit = context.transfer_syntax[0].is_implicit_VR
        datasets = [make_dataset(study=1, instance=n) for n in (1, 2)]
        messages = [
            (command_set.c_store_rq(n, str(ds.SOPClassUID), str(ds.SOPInstanceUID), 2, None,
                                    None), encoded(ds, implicit))
            for n, ds in enumerate(datasets, start=1)
        ]  # fmt: skip
        pause(assoc)
        try:
            send_messages(assoc, int(context.context_id), messages)
            statuses = [assoc.dimse.get_msg(block=True)[1].Status for _ in datasets]
        finally:
            resume(assoc)
        assert statuses == [0x0000, 0x0000]
    finally:
        assoc.release()
    for ds in datasets:
        assert emulator.index.instance(str(ds.SOPInstanceUID)) is not None
