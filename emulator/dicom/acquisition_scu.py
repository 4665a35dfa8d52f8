"""The modality's part after a simulated acquisition (``services.acquisition``): the study
stored to a registered remote AE, the PACS under test, by C-STORE, and Storage Commitment
asked of it (N-ACTION, PS3.4 J.3), over pynetdicom's SCU, one association each. What
happened comes back as plain values for the caller to report; the remote's commitment report
(N-EVENT-REPORT) is its own to send."""

from __future__ import annotations

import logging
import uuid
from io import BytesIO
from typing import Any

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE
from pynetdicom.sop_class import StorageCommitmentPushModel  # type: ignore[attr-defined]

from emulator.remotes import RemoteAE
from emulator.services.context import ServiceContext

log = logging.getLogger("emulator.dicom")

COMMITMENT_INSTANCE = "1.2.840.10008.1.20.1.1"  # the well-known Storage Commitment instance


def _associate(ctx: ServiceContext, remote: RemoteAE, contexts: dict[str, list[str]]) -> Any:
    ae = AE(ae_title=ctx.ae_title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 30
    for sop_class, syntaxes in contexts.items():
        ae.add_requested_context(sop_class, syntaxes)
    return ae.associate(remote.host, remote.port, ae_title=remote.ae_title,
                        tls_args=remote.tls_args())  # fmt: skip


def _store(ctx: ServiceContext, remote: RemoteAE, uids: list[str]) -> tuple[int, list[str]]:
    datasets = []
    for uid in uids:
        stored = ctx.index.instance(uid)
        if stored is not None:
            datasets.append(dcmread(BytesIO(ctx.instances.part10(stored.location))))
    contexts: dict[str, list[str]] = {}
    for ds in datasets:
        syntaxes = contexts.setdefault(str(ds.SOPClassUID), [ExplicitVRLittleEndian,
                                                             ImplicitVRLittleEndian])  # fmt: skip
        stored_as = str(ds.file_meta.TransferSyntaxUID)
        if stored_as not in syntaxes:
            syntaxes.insert(0, stored_as)
    assoc = _associate(ctx, remote, contexts)
    if not assoc.is_established:
        return 0, [f"{remote.ae_title} did not accept the association to store the study"]
    sent, problems = 0, []
    try:
        for ds in datasets:
            status = assoc.send_c_store(ds)
            code = int(status.Status) if status is not None and "Status" in status else None
            if code is not None and (code == 0 or 0xB000 <= code <= 0xBFFF):
                sent += 1
            else:
                shown = "no response" if code is None else f"0x{code:04X}"
                problems.append(f"{ds.SOPInstanceUID}: {shown}")
    finally:
        assoc.release()
    return sent, problems


def _commit(ctx: ServiceContext, remote: RemoteAE, datasets: list[tuple[str, str]]) -> str:
    syntaxes: list[str] = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
    assoc = _associate(ctx, remote, {StorageCommitmentPushModel: syntaxes})
    if not assoc.is_established:
        return f"refused: {remote.ae_title} did not accept Storage Commitment"
    info = Dataset()
    info.TransactionUID = f"2.25.{uuid.uuid4().int}"
    references = []
    for sop_class, sop_instance in datasets:
        reference = Dataset()
        reference.ReferencedSOPClassUID, reference.ReferencedSOPInstanceUID = (
            sop_class,
            sop_instance,
        )
        references.append(reference)
    info.ReferencedSOPSequence = references
    try:
        status, _ = assoc.send_n_action(info, 1, StorageCommitmentPushModel, COMMITMENT_INSTANCE)
    finally:
        assoc.release()
    code = int(status.Status) if status is not None and "Status" in status else None
    if code == 0:
        return f"requested: transaction {info.TransactionUID}"
    return f"refused: N-ACTION status {'none' if code is None else f'0x{code:04X}'}"


def deliver(ctx: ServiceContext, remote: RemoteAE, instances: list[tuple[str, str]],
            commit: bool) -> dict[str, Any]:  # fmt: skip
    """Store *instances* ((SOP Class UID, SOP Instance UID) pairs) to *remote*, then ask it
    to commit them if *commit*; what happened."""
    sent, problems = _store(ctx, remote, [uid for _, uid in instances])
    commitment = "not asked"
    if commit and sent == len(instances):
        commitment = _commit(ctx, remote, instances)
    elif commit:
        commitment = "not asked: the study was not all stored"
    log.info("acquisition: sent=%d failed=%d to %s@%s:%d commitment=%s", sent, len(problems),
             remote.ae_title, remote.host, remote.port, commitment)  # fmt: skip
    return {"destination": remote.name, "sent": sent, "failed": problems,
            "commitment": commitment}  # fmt: skip
