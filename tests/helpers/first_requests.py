"""Run as ``python -m tests.helpers.first_requests``: start the emulator as ``serve`` does
(the process entry's deferred imports, a new data directory with the demo archive), then send
one of each kind of request, and print as JSON their statuses and the emulator's modules that
only those requests imported (none, if the start imported everything a request needs)."""

from __future__ import annotations

import json
import queue
import sys
import tempfile
import urllib.request
from pathlib import Path

from emulator.launch import defer_imports

defer_imports()

from pydicom import dcmread  # noqa: E402
from pydicom.data import get_testdata_file  # noqa: E402
from pydicom.dataset import Dataset  # noqa: E402
from pynetdicom import AE, build_role, evt  # noqa: E402
from pynetdicom.sop_class import (  # noqa: E402
    CTImageStorage,
    ModalityPerformedProcedureStep,
    ModalityWorklistInformationFind,
    StorageCommitmentPushModel,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    Verification,
)

from emulator import Emulator  # noqa: E402
from tests.conftest import make_config  # noqa: E402
from tests.helpers import commitment, mpps  # noqa: E402


def ours() -> set[str]:
    return {name for name in sys.modules if name.split(".")[0] in ("emulator", "storage")}


def requests(port: int, ae_title: str, admin_url: str) -> dict[str, int]:
    ae = AE(ae_title="FIRST")
    ae.acse_timeout = ae.dimse_timeout = 10
    for context in (
        Verification,
        StudyRootQueryRetrieveInformationModelFind,
        CTImageStorage,
        ModalityWorklistInformationFind,
        ModalityPerformedProcedureStep,
        StorageCommitmentPushModel,
    ):
        ae.add_requested_context(context)
    status: dict[str, int] = {}
    reports: queue.Queue[int] = queue.Queue()
    sent: queue.Queue[int] = queue.Queue()  # the command fields of what this SCU sent
    assoc = ae.associate(
        "127.0.0.1",
        port,
        ae_title=ae_title,
        evt_handlers=[
            (evt.EVT_N_EVENT_REPORT, lambda e: (reports.put(e.event_type), (0, None))[1]),
            (evt.EVT_DIMSE_SENT, lambda e: sent.put(int(e.message.command_set.CommandField))),
        ],
    )
    status["C-ECHO"] = assoc.send_c_echo().Status
    query = Dataset()
    query.QueryRetrieveLevel, query.StudyInstanceUID, query.PatientName = "STUDY", "", "*"
    found = [
        i.StudyInstanceUID
        for _, i in assoc.send_c_find(query, query_model=StudyRootQueryRetrieveInformationModelFind)
        if i
    ]
    status["C-FIND studies"] = len(found)
    ct = dcmread(get_testdata_file("CT_small.dcm"))
    status["C-STORE"] = assoc.send_c_store(ct).Status
    worklist = Dataset()
    worklist.PatientName, worklist.ScheduledProcedureStepSequence = "*", [Dataset()]
    status["MWL C-FIND"] = [
        s.Status
        for s, _ in assoc.send_c_find(worklist, query_model=ModalityWorklistInformationFind)
    ][-1]
    status["N-CREATE"] = mpps.create(assoc, mpps.in_progress())[0].Status
    request = commitment.request((ct.SOPClassUID, ct.SOPInstanceUID))
    status["N-ACTION"] = assoc.send_n_action(
        request, 1, StorageCommitmentPushModel, "1.2.840.10008.1.20.1.1"
    )[0].Status
    status["N-EVENT-REPORT event"] = reports.get(timeout=10)  # 1: all committed
    while sent.get(timeout=10) != 0x8100:  # the N-EVENT-REPORT-RSP, before the release
        pass
    assoc.release()
    got: list[int] = []
    ae = AE(ae_title="FIRST")
    ae.acse_timeout = ae.dimse_timeout = 10
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    ae.add_requested_context(CTImageStorage)
    assoc = ae.associate(
        "127.0.0.1",
        port,
        ae_title=ae_title,
        ext_neg=[build_role(CTImageStorage, scp_role=True)],
        evt_handlers=[(evt.EVT_C_STORE, lambda event: got.append(1) or 0)],
    )
    query = Dataset()
    query.QueryRetrieveLevel, query.StudyInstanceUID = "STUDY", found[0]
    finals = [
        s.Status
        for s, _ in assoc.send_c_get(query, query_model=StudyRootQueryRetrieveInformationModelGet)
    ]
    status["C-GET instances"] = len(got) if finals[-1] == 0 else -finals[-1]
    assoc.release()
    with urllib.request.urlopen(f"{admin_url}/api/health", timeout=10) as answer:
        status["GET /api/health"] = answer.status
    return status


def main() -> None:
    data = Path(tempfile.mkdtemp(prefix="first-requests-")) / "data"
    with Emulator(make_config(data, storage__empty=False)) as emulator:
        started = ours()
        status = requests(emulator.dicom_port, emulator.ae_title, emulator.admin_url)
        print(json.dumps({"status": status, "imported": sorted(ours() - started)}))


if __name__ == "__main__":
    main()
