"""The README's example, verbatim: a C-STORE client that retries after a transient reject,
tested with the plugin's dicom_emulator fixture."""

import time

from pydicom import examples
from pynetdicom import AE


def store_with_retry(host, port, called_ae, dataset, tries=3, pause=0.1):
    """The code under test: send one instance, retrying when the association is refused."""
    ae = AE(ae_title="MODALITY1")
    ae.add_requested_context(dataset.SOPClassUID, dataset.file_meta.TransferSyntaxUID)
    for _ in range(tries):
        assoc = ae.associate(host, port, ae_title=called_ae)
        if assoc.is_established:
            status = assoc.send_c_store(dataset)
            assoc.release()
            return status.Status
        time.sleep(pause)
    raise ConnectionError(f"no association after {tries} tries")


def test_store_retries_after_a_transient_reject(dicom_emulator):
    dicom_emulator.load_scenario("""
name: busy-once
rules:
  - match: {phase: associate, calling_ae: MODALITY1}
    first: 1
    action:
      reject: {result: 2, source: 3, reason: 1}   # transient, temporary congestion
""")
    ct = examples.ct

    status = store_with_retry(*dicom_emulator.address, dicom_emulator.ae_title, ct)

    assert status == 0x0000
    assert dicom_emulator.count("association", outcome="rejected") == 1
    [stored] = dicom_emulator.journal(service="C-STORE", calling_ae="MODALITY1")
    assert stored["sop_instance"] == ct.SOPInstanceUID
    assert dicom_emulator.studies()[0]["study_uid"] == ct.StudyInstanceUID
