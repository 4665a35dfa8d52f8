"""An archive to retrieve from, a registered destination, and C-MOVE from pynetdicom, as the
retrieve, fabricated-study and fault specs use them."""

from __future__ import annotations

import pytest
from pynetdicom import AE
from pynetdicom.sop_class import (
    PatientRootQueryRetrieveInformationModelMove,
    PatientStudyOnlyQueryRetrieveInformationModelMove,
    StudyRootQueryRetrieveInformationModelMove,
)

from tests.helpers import (
    make_dataset,
    part10,
    registered_scp,
)

MOVE = {
    "PATIENT_ROOT": PatientRootQueryRetrieveInformationModelMove,
    "STUDY_ROOT": StudyRootQueryRetrieveInformationModelMove,
    "PATIENT_STUDY_ONLY": PatientStudyOnlyQueryRetrieveInformationModelMove,
}


@pytest.fixture
def archive(emulator):
    """Patient P1: study 1 (CT series of 3 and of 2), study 2 (MR, 1). Patient P2: study 3."""
    for study, series, count, modality, patient in [
        (1, 1, 3, "CT", ("SMITH", "P1")),
        (1, 2, 2, "CT", ("SMITH", "P1")),
        (2, 1, 1, "MR", ("SMITH", "P1")),
        (3, 1, 4, "CT", ("JONES", "P2")),
    ]:
        for i in range(1, count + 1):
            emulator.archive.import_instance(
                part10(
                    make_dataset(
                        patient=patient, study=study, series=series, instance=i, modality=modality
                    )
                )
            )
    return emulator


@pytest.fixture
def destination(archive):
    with registered_scp(archive) as scp:
        yield scp


def move(emulator, identifier, destination="DEST", model="STUDY_ROOT", cancel_after=None):
    """Run a C-MOVE; return (responses as datasets, final status)."""
    ae = AE(ae_title="MOVER")
    ae.add_requested_context(MOVE[model])
    assoc = ae.associate("127.0.0.1", emulator.dicom_port, ae_title=emulator.ae_title)
    assert assoc.is_established
    responses = []
    try:
        for status, ds in assoc.send_c_move(identifier, destination, MOVE[model], msg_id=5):
            responses.append((status, ds))
            if cancel_after and len(responses) == cancel_after:
                assoc.send_c_cancel(5, context_id=1)
    finally:
        assoc.release()
    return responses, responses[-1][0]


def counts(status):
    return tuple(
        status.get(k)
        for k in (
            "NumberOfRemainingSuboperations",
            "NumberOfCompletedSuboperations",
            "NumberOfFailedSuboperations",
            "NumberOfWarningSuboperations",
        )
    )
