"""Simulated acquisitions: a worklist item turned into the study it schedules, as its
modality would make it. Fabricated images of the step's modality carry the item's patient,
accession number, Study Instance UID, referring physician and requested procedure, and each
series the Request Attributes Sequence a modality fills from the worklist (IHE RAD-8); they
are stored as received instances (calling AE ``ACQUISITION``), so every service finds and
retrieves them; the step goes IN PROGRESS, then COMPLETED, with the MPPS the modality would
send (``performed_step``)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from pydicom.dataset import Dataset

from emulator.errors import AcquisitionRefused
from emulator.remotes import RemoteAE
from emulator.services import performed_step
from emulator.services import workflow_journal as journal
from emulator.services.context import ServiceContext
from emulator.services.store import store_instance
from storage.fabricate import fabricate
from storage.fabrication_spec import IMAGE_CODES, FabricationSpec

log = logging.getLogger(__name__)

CALLING_AE = "ACQUISITION"
PATIENT = ("PatientName", "PatientID", "IssuerOfPatientID", "PatientBirthDate", "PatientSex")
STUDY = ("AccessionNumber", "StudyInstanceUID", "ReferringPhysicianName")
REQUESTED = ("RequestedProcedureID", "RequestedProcedureDescription", "AccessionNumber",
             "StudyInstanceUID", "RequestedProcedureCodeSequence")  # fmt: skip
SCHEDULED = ("ScheduledProcedureStepID", "ScheduledProcedureStepDescription",
             "ScheduledProtocolCodeSequence")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Acquisition:
    """What an acquisition made."""

    worklist_id: int
    study_uid: str
    accession_number: str
    modality: str
    series: int
    instances: int
    delivery: dict[str, Any] | None = None  # sent to a remote AE: what happened


def _as_ordered(ds: Dataset, item: Dataset, step: Dataset, now: dt.datetime) -> None:
    """*ds* (a fabricated image) made the order's, in place."""
    ds.SpecificCharacterSet = item.get("SpecificCharacterSet", "ISO_IR 192") or "ISO_IR 192"
    for keyword in (*PATIENT, *STUDY):
        if keyword in item:
            ds[keyword] = item[keyword]
    description = str(item.get("RequestedProcedureDescription", "") or "")
    if description:
        ds.StudyDescription = description
    day, time = now.strftime("%Y%m%d"), now.strftime("%H%M%S")
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = day
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = time
    ds.RequestAttributesSequence = [performed_step.picked(item, REQUESTED, step, SCHEDULED)]
    station = str(step.get("ScheduledStationAETitle", "") or "")
    if station:
        ds.StationName = station[:16]


def _destination(ctx: ServiceContext, send_to: str) -> RemoteAE:
    """The remote AE named (or titled) *send_to*; AcquisitionRefused if none, or if no DICOM
    side runs to send from."""
    remote = next((r for r in ctx.remotes.all() if r.name == send_to), None)
    remote = remote or ctx.remotes.lookup(send_to)
    if remote is None:
        raise AcquisitionRefused(
            f"no remote AE {send_to!r} to send the study to: register it (POST"
            " /api/remote-aes, or [[remote_aes]] in the configuration)"
        )
    if ctx.outbox is None:
        raise AcquisitionRefused("sending a study needs the running emulator's DICOM side")
    return remote


def _schedulable(ctx: ServiceContext, worklist_id: int, done: bool) -> tuple[Dataset, Dataset, str]:
    """The item, its step and the step's modality; LookupError or AcquisitionRefused. A
    step COMPLETED already is acquired only if *done* (a modality's own MPPS ended it)."""
    row = ctx.worklist.get(worklist_id)
    if row is None:
        raise LookupError(f"no worklist item {worklist_id}")
    if row.state == "DISCONTINUED" or (row.state == "COMPLETED" and not done):
        raise AcquisitionRefused(f"worklist item {worklist_id} is {row.state}: nothing to acquire")
    step = row.item.ScheduledProcedureStepSequence[0]
    modality = str(step.get("Modality", "") or "").upper()
    if modality not in IMAGE_CODES:
        raise AcquisitionRefused(
            f"worklist item {worklist_id} schedules modality {modality or '(none)'}; the emulator"
            f" acquires {', '.join(IMAGE_CODES)}"
        )
    return row.item, step, modality


def _images(ctx: ServiceContext, item: Dataset, step: Dataset, modality: str,
            shape: tuple[int, int], now: dt.datetime) -> list[Dataset]:  # fmt: skip
    """Fabricate and store the images (*shape*: series, instances a series); their headers."""
    spec = FabricationSpec(
        seed=uuid.uuid5(uuid.NAMESPACE_OID, str(item.StudyInstanceUID)).int % 2**31,
        patients=1,
        series_per_study=shape[0],
        instances_per_series=shape[1],
        modalities=(modality,),
        anchor=now.date(),
        window_days=0,
    )
    made = []
    for ds in fabricate(spec):
        _as_ordered(ds, item, step, now)
        buffer = BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        store_instance(buffer.getvalue(), None, None, None, CALLING_AE, ctx)
        del ds.PixelData  # the MPPS needs its identity only
        made.append(ds)
    return made


def acquire(
    ctx: ServiceContext,
    worklist_id: int,
    send_to: str = "",
    commit: bool = False,
    shape: tuple[int, int] = (2, 5),
    client_mpps: bool = False,
) -> Acquisition:
    """Make the study worklist item *worklist_id* schedules and store it (*shape*: series,
    and instances a series), with its MPPS unless a modality's own MPPS (*client_mpps*)
    ended the step already; then send it to remote AE *send_to* if given.

    Raises
    ------
    LookupError
        If there is no such item.
    AcquisitionRefused
        If the step is done (COMPLETED, DISCONTINUED), its modality is not one the emulator
        fabricates, or *send_to* names no registered remote AE.
    """
    remote = _destination(ctx, send_to) if send_to else None
    item, step, modality = _schedulable(ctx, worklist_id, client_mpps)
    study_uid, accession = str(item.StudyInstanceUID), str(item.get("AccessionNumber", ""))
    sps_id = str(step.get("ScheduledProcedureStepID", ""))
    now = dt.datetime.now()
    record = journal.begin(ctx, "ACQUIRE", sop_instance=study_uid)
    if client_mpps:
        made = _images(ctx, item, step, modality, shape, now)
    else:
        ctx.worklist.set_state(study_uid, sps_id, accession, "IN PROGRESS")
        mpps_uid, mpps = performed_step.start(ctx, item, step, modality, now)
        journal.step(ctx, "N-CREATE", journal.MPPS, mpps_uid, detail="IN PROGRESS")
        made = _images(ctx, item, step, modality, shape, now)
        performed_step.complete(ctx, mpps_uid, mpps, made)
        journal.step(ctx, "N-SET", journal.MPPS, mpps_uid, detail="COMPLETED")
        ctx.worklist.set_state(study_uid, sps_id, accession, "COMPLETED")
    count = len(made)
    what = f"worklist={worklist_id} accession={accession} modality={modality}"
    journal.end(ctx, record, matches=count, detail=what)
    delivery = None
    if remote is not None and ctx.outbox is not None:  # the modality sends it to the PACS
        pairs = [(str(ds.SOPClassUID), str(ds.SOPInstanceUID)) for ds in made]
        delivery = ctx.outbox(ctx, remote, pairs, commit)
        _journal_delivery(ctx, remote, delivery, study_uid)
    log.info("acquisition: worklist=%d accession=%s study=%s modality=%s instances=%d",
             worklist_id, accession, study_uid, modality, count)  # fmt: skip
    return Acquisition(worklist_id, study_uid, accession, modality, shape[0], count, delivery)


def _journal_delivery(ctx: ServiceContext, remote: RemoteAE, delivery: dict[str, Any],
                      study_uid: str) -> None:  # fmt: skip
    """The journal's C-STORE and N-ACTION records of a study sent on."""
    failed = delivery["failed"]
    journal.step(ctx, "C-STORE", sop_instance=study_uid, status=None,
                 outcome="failure" if failed else "ok", matches=delivery["sent"],
                 detail=f"to {remote.ae_title}@{remote.host}:{remote.port}"
                 + (f"; failed: {'; '.join(failed)}" if failed else ""))  # fmt: skip
    commitment = str(delivery["commitment"])
    if commitment != "not asked":
        refused = not commitment.startswith("requested")
        journal.step(ctx, "N-ACTION", journal.COMMITMENT, sop_instance=study_uid,
                     status=None if refused else 0, outcome="failure" if refused else "ok",
                     detail=f"to {remote.ae_title}: {commitment}")  # fmt: skip


def schedule(ctx: ServiceContext, worklist_id: int, label: str) -> None:
    """Acquire worklist item *worklist_id* as ``hl7.acquire`` says: now, or in the
    background ``hl7.acquire_delay`` seconds later (a stop or a reset cancels it); a refusal
    is a warning, never the order's failure (*label*: the order, for the log)."""
    settings = ctx.config.hl7

    def run() -> None:
        try:
            acquire(ctx, worklist_id, settings.acquire_send_to, settings.acquire_commit)
        except (AcquisitionRefused, LookupError) as exc:  # the order stands; no study
            log.warning("acquisition: %s not acquired: %s", label, exc)

    if settings.acquire_delay <= 0:
        run()
        return

    def later() -> None:
        if ctx.interrupts.wait(settings.acquire_delay):
            log.info("acquisition: %s cancelled (a stop or a reset)", label)
            return
        try:
            run()
        except Exception as exc:  # the archive failed meanwhile: one line, the study not made
            log.warning("acquisition: %s failed: %s", label, exc)

    ctx.interrupts.start(threading.Thread(target=later, name=f"acquire-{worklist_id}", daemon=True))
