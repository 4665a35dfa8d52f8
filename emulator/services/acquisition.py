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
from emulator.journal import MessageOutcome, MessageRecord
from emulator.remotes import RemoteAE
from emulator.scenario.attributes import summary
from emulator.services import performed_step
from emulator.services import workflow_journal as journal
from emulator.services.context import ServiceContext
from emulator.services.modality_rules import StepRules
from emulator.services.store import store_instance

log = logging.getLogger(__name__)

PATIENT = ("PatientName", "PatientID", "IssuerOfPatientID", "PatientBirthDate", "PatientSex")
STUDY = ("AccessionNumber", "StudyInstanceUID", "ReferringPhysicianName")
REQUESTED = ("RequestedProcedureID", "RequestedProcedureDescription", "AccessionNumber",
             "StudyInstanceUID", "RequestedProcedureCodeSequence")  # fmt: skip
DISCONTINUED_FOR_UNSPECIFIED_REASON = "110513"  # DCM, CID 9300
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
    # the fabrication stack loads with the first acquisition, not before serve listens
    from storage.fabrication_spec import IMAGE_CODES

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
    from storage.fabricate import fabricate
    from storage.fabrication_spec import FabricationSpec

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
        store_instance(buffer.getvalue(), None, None, None, journal.CALLING_AE, ctx)
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
    ended the step already; then send it to remote AE *send_to* if given. The scenario's
    ``acquisition`` rules may delay, leave out or change each step (``modality_rules``).

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
    record = journal.begin(ctx, "ACQUIRE", sop_instance=study_uid)
    rules = StepRules(ctx, record.id)
    order = Order(item, step, modality, dt.datetime.now())
    made = _performed(ctx, rules, record, order, shape, client_mpps)
    what = f"worklist={worklist_id} accession={accession} modality={modality}"
    journal.end(ctx, record, matches=len(made), detail=what)
    delivery = None
    if remote is not None:  # the modality sends it to the PACS
        delivery = _send(ctx, rules, remote, made, commit, study_uid)
    log.info("acquisition: worklist=%d accession=%s study=%s modality=%s instances=%d",
             worklist_id, accession, study_uid, modality, len(made))  # fmt: skip
    return Acquisition(worklist_id, study_uid, accession, modality, shape[0], len(made), delivery)


@dataclass(frozen=True, slots=True)
class Order:
    """The worklist item acquired, its step, the step's modality and when it started."""

    item: Dataset
    step: Dataset
    modality: str
    started: dt.datetime

    def set_state(self, ctx: ServiceContext, state: str) -> None:
        item, step = self.item, self.step
        ctx.worklist.set_state(str(item.StudyInstanceUID),
                               str(step.get("ScheduledProcedureStepID", "")),
                               str(item.get("AccessionNumber", "")), state)  # fmt: skip

    @property
    def attributes(self) -> dict[str, str]:
        """The item's and its step's top-level attributes, as ``dataset`` rules match them."""
        return {**summary(self.item), **summary(self.step)}


def _performed(ctx: ServiceContext, rules: StepRules, record: MessageRecord, order: Order,
               shape: tuple[int, int], client_mpps: bool) -> list[Dataset]:  # fmt: skip
    """The steps a modality performs: MPPS IN PROGRESS, the images, MPPS COMPLETED (the MPPS
    left to the modality that sent its own, *client_mpps*); the images' headers."""
    if client_mpps:
        rules.step("ACQUIRE", record, dataset=order.attributes)
        return _images(ctx, order.item, order.step, order.modality, shape, order.started)
    started = _start(ctx, rules, order)
    rules.step("ACQUIRE", record, dataset=order.attributes)
    made = _images(ctx, order.item, order.step, order.modality, shape, order.started)
    if started is not None:
        _end(ctx, rules, order, *started, made)
    return made


def _start(ctx: ServiceContext, rules: StepRules, order: Order) -> tuple[str, Dataset] | None:
    """The MPPS N-CREATE, IN PROGRESS (None: a rule left it out; the item stays SCHEDULED)."""
    record = journal.begin(ctx, "N-CREATE", journal.MPPS)
    decision = rules.step("N-CREATE", record, journal.MPPS, order.attributes)
    if decision is not None and decision.action == "omit":
        journal.end(ctx, record, None, "fault", detail=f"left out ({decision.label})")
        return None
    order.set_state(ctx, "IN PROGRESS")
    uid, mpps = performed_step.start(ctx, order.item, order.step, order.modality, order.started)
    journal.update(ctx, record, sop_instance=uid)
    journal.end(ctx, record, detail="IN PROGRESS")
    return uid, mpps


def _end(ctx: ServiceContext, rules: StepRules, order: Order, uid: str, mpps: Dataset,
         made: list[Dataset]) -> None:  # fmt: skip
    """The MPPS N-SET, COMPLETED, or DISCONTINUED or left out as a rule says."""
    record = journal.begin(ctx, "N-SET", journal.MPPS, uid)
    decision = rules.step("N-SET", record, journal.MPPS, summary(mpps))
    if decision is not None and decision.action == "omit":
        journal.end(ctx, record, None, "fault", detail=f"left out ({decision.label}): IN PROGRESS")
        return
    reason = ""
    if decision is not None and decision.action == "discontinue":
        reason = str(decision.params.get("reason", DISCONTINUED_FOR_UNSPECIFIED_REASON))
    performed_step.complete(ctx, uid, mpps, made, discontinued=reason)
    state = "DISCONTINUED" if reason else "COMPLETED"
    journal.end(ctx, record, detail=state + (f" ({reason})" if reason else ""))
    order.set_state(ctx, state)


def _send(ctx: ServiceContext, rules: StepRules, remote: RemoteAE, made: list[Dataset],
          commit: bool, study_uid: str) -> dict[str, Any]:  # fmt: skip
    """Send the study to *remote* as its modality would, and ask for commitment if
    *commit*; what happened (journaled: C-STORE, and N-ACTION if asked)."""
    assert ctx.outbox is not None  # _destination refused the acquisition otherwise
    pairs = [(str(ds.SOPClassUID), str(ds.SOPInstanceUID)) for ds in made]
    where = f"{remote.ae_title}@{remote.host}:{remote.port}"
    record = journal.begin(ctx, "C-STORE", sop_instance=study_uid)
    sent = ctx.outbox.store(ctx, remote, pairs, rules.bound(record, remote.ae_title))
    problems = sent.failed + ([sent.ended] if sent.ended else [])
    outcome: MessageOutcome = "fault" if sent.ended_by else "failure" if problems else "ok"
    journal.end(ctx, record, None, outcome, matches=sent.sent,
                detail=f"to {where}" + (f"; failed: {'; '.join(problems)}" if problems else "")
                + (f"; left out: {len(sent.omitted)}" if sent.omitted else ""))  # fmt: skip
    commitment = "not asked"
    if commit and not sent.complete:
        commitment = "not asked: the study was not all stored"
    elif commit:
        record = journal.begin(ctx, "N-ACTION", journal.COMMITMENT, study_uid)
        commitment = ctx.outbox.commit(ctx, remote, pairs, rules.bound(record, remote.ae_title))
        refused = not commitment.startswith("requested")
        outcome = "ok" if not refused else "fault" if record.faults else "failure"
        journal.end(ctx, record, None if refused else 0, outcome,
                    detail=f"to {remote.ae_title}: {commitment}")  # fmt: skip
    log.info("acquisition: sent=%d failed=%d omitted=%d to %s commitment=%s", sent.sent,
             len(problems), len(sent.omitted), where, commitment)  # fmt: skip
    return {"destination": remote.name, "sent": sent.sent, "failed": problems,
            "omitted": sent.omitted, "duplicated": sent.duplicated,
            "commitment": commitment}  # fmt: skip


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
