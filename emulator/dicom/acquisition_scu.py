"""The modality's part after a simulated acquisition (``services.acquisition``): the study
stored to a registered remote AE, the PACS under test, by C-STORE, and Storage Commitment
asked of it (N-ACTION, PS3.4 J.3), one association each, on the emulator's event loops and
fault-ready sockets (:class:`~emulator.dicom.server.EmulatorAE`).

Before each image and before the N-ACTION, the scenario's ``acquisition`` rules are asked
(``services.modality_rules``); what they say is done here, on the association: a delay, an
image left out or sent again, the association aborted, closed (mid-PDU with ``after_bytes``),
hung, or throttled. What happened comes back as plain values for the service to report; the
remote's commitment report (N-EVENT-REPORT) is its own to send.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Iterator
from io import BytesIO
from typing import Any

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom.association import Association
from pynetdicom.sop_class import StorageCommitmentPushModel  # type: ignore[attr-defined]

from emulator.dicom.faults import Faults, peer_gone
from emulator.dicom.server import EmulatorAE
from emulator.remotes import RemoteAE
from emulator.scenario.attributes import LazySummary
from emulator.services.context import ServiceContext
from emulator.services.modality_rules import Fired, Sent, StepRule

log = logging.getLogger("emulator.dicom")

COMMITMENT_INSTANCE = "1.2.840.10008.1.20.1.1"  # the well-known Storage Commitment instance


def _associate(ctx: ServiceContext, remote: RemoteAE, contexts: dict[str, list[str]]) -> Any:
    ae = EmulatorAE(ae_title=ctx.ae_title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 30
    for sop_class, syntaxes in contexts.items():
        ae.add_requested_context(sop_class, syntaxes)
    return ae.associate(remote.host, remote.port, ae_title=remote.ae_title,
                        tls_args=remote.tls_args())  # fmt: skip


def _datasets(ctx: ServiceContext, uids: list[str]) -> Iterator[Dataset]:
    for uid in uids:
        stored = ctx.index.instance(uid)
        if stored is not None:
            yield dcmread(BytesIO(ctx.instances.part10(stored.location)))


def _contexts(datasets: list[Dataset]) -> dict[str, list[str]]:
    """One context per SOP class: its images' stored syntaxes, then the little endian ones."""
    contexts: dict[str, list[str]] = {}
    for ds in datasets:
        syntaxes = contexts.setdefault(str(ds.SOPClassUID), [ExplicitVRLittleEndian,
                                                             ImplicitVRLittleEndian])  # fmt: skip
        stored_as = str(ds.file_meta.TransferSyntaxUID)
        if stored_as not in syntaxes:
            syntaxes.insert(0, stored_as)
    return contexts


def _gone(assoc: Association) -> bool:
    """The association ended, or is ending (pynetdicom's loop may not have seen it yet)."""
    return not assoc.is_established or peer_gone(assoc)


def _status(assoc: Association, ds: Dataset, msg_id: int) -> str | None:
    """C-STORE *ds*; None if the remote AE stored it, else why not."""
    if _gone(assoc):
        return "not sent, the association ended"
    status = assoc.send_c_store(ds, msg_id=msg_id)
    code = int(status.Status) if status is not None and "Status" in status else None
    if code is not None and (code == 0 or 0xB000 <= code <= 0xBFFF):  # success, warning
        return None
    return "no response" if code is None else f"0x{code:04X}"


class AcquisitionSCU:
    """The outbox of a running emulator (``ServiceContext.outbox``)."""

    def __init__(self) -> None:
        self._message_ids = itertools.count(1)  # a C-STORE-RQ's Message ID, never reused soon

    def _next_id(self) -> int:
        return next(self._message_ids) % 65535 + 1

    def store(self, ctx: ServiceContext, remote: RemoteAE, instances: list[tuple[str, str]],
              rule: StepRule) -> Sent:  # fmt: skip
        """C-STORE the study's *instances* ((SOP Class UID, SOP Instance UID) pairs), each
        as *rule* says."""
        datasets = list(_datasets(ctx, [uid for _, uid in instances]))
        assoc = _associate(ctx, remote, _contexts(datasets))
        result = Sent()
        if not assoc.is_established:
            result.ended = f"{remote.ae_title} did not accept the association to store the study"
            return result
        try:
            for n, ds in enumerate(datasets):
                if not self._one(ctx, assoc, ds, rule, result):
                    result.failed += [f"{d.SOPInstanceUID}: not sent" for d in datasets[n + 1 :]]
                    break
        finally:
            if assoc.is_established:
                assoc.release()
        return result

    def _one(self, ctx: ServiceContext, assoc: Association, ds: Dataset, rule: StepRule,
             result: Sent) -> bool:  # fmt: skip
        """Send *ds* as the rule for it says; False when the association ended."""
        uid = str(ds.SOPInstanceUID)
        fired = rule("C-STORE", str(ds.SOPClassUID), LazySummary(lambda: ds))
        action, label = (fired[0].action, fired[0].label) if fired is not None else ("", "")
        if action == "omit":
            result.omitted.append(uid)
            return True
        if fired is not None and _ended_on_wire(ctx, assoc, fired):
            result.failed.append(f"{uid}: not sent")
            result.ended, result.ended_by = f"{label} ended the association", label
            return False
        copies = int(fired[0].params.get("times", 1)) if fired and action == "duplicate" else 0
        problem = _status(assoc, ds, self._next_id())
        if problem is None:
            result.sent += 1
        else:
            result.failed.append(f"{uid}: {problem}")
        for _ in range(copies):
            if _status(assoc, ds, self._next_id()) is None:
                result.duplicated += 1
        if _gone(assoc):
            result.ended = f"the association ended at {uid}" + (f" ({label})" if label else "")
            result.ended_by = label
            return False
        return True

    def commit(self, ctx: ServiceContext, remote: RemoteAE, instances: list[tuple[str, str]],
               rule: StepRule) -> str:  # fmt: skip
        """Ask *remote* to commit *instances*, as *rule* says; what happened, in words."""
        fired = rule("N-ACTION", StorageCommitmentPushModel, {})
        if fired is not None and fired[0].action == "omit":
            return f"not asked: left out ({fired[0].label})"
        syntaxes: list[str] = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
        assoc = _associate(ctx, remote, {StorageCommitmentPushModel: syntaxes})
        if not assoc.is_established:
            return f"refused: {remote.ae_title} did not accept Storage Commitment"
        request = _request(instances)
        try:
            if fired is not None and _ended_on_wire(ctx, assoc, fired):
                return f"not asked: {fired[0].label} ended the association"
            if _gone(assoc):
                return "not asked: the association ended"
            status, _ = assoc.send_n_action(request, 1, StorageCommitmentPushModel,
                                            COMMITMENT_INSTANCE)  # fmt: skip
        finally:
            if assoc.is_established:
                assoc.release()
        code = int(status.Status) if status is not None and "Status" in status else None
        if code == 0:
            return f"requested: transaction {request.TransactionUID}"
        return f"refused: N-ACTION status {'none' if code is None else f'0x{code:04X}'}"


def _ended_on_wire(ctx: ServiceContext, assoc: Association, fired: Fired) -> bool:
    """Do what the rule that *fired* says on *assoc* (a delay, abort, close, hang,
    throttle); True if the association ended."""
    decision, engine = fired
    return Faults.of(ctx).apply(assoc, decision, engine).ended or _gone(assoc)


def _request(instances: list[tuple[str, str]]) -> Dataset:
    """The N-ACTION's Storage Commitment Request (PS3.4 J.3.2.1.1)."""
    info = Dataset()
    info.TransactionUID = f"2.25.{uuid.uuid4().int}"
    references = []
    for sop_class, sop_instance in instances:
        reference = Dataset()
        reference.ReferencedSOPClassUID = sop_class
        reference.ReferencedSOPInstanceUID = sop_instance
        references.append(reference)
    info.ReferencedSOPSequence = references
    return info
