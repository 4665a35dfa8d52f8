"""Modality Performed Procedure Step SCP (PS3.4 Annex F): the state machine.

N-CREATE makes a step IN PROGRESS with a new SOP Instance UID; N-SET updates it while it is IN
PROGRESS, or ends it COMPLETED or DISCONTINUED, after which it may not change (F.7.2.2.2). A
step names its worklist items in its Scheduled Step Attributes Sequence; their state follows it.
"""

from __future__ import annotations

import logging
import uuid
from copy import deepcopy

from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset

from emulator.errors import (
    AcquisitionRefused,
    InvalidAttributeValue,
    MissingAttribute,
    StepNotUpdatable,
)
from emulator.services.acquisition import acquire
from emulator.services.context import ServiceContext
from storage.procedure_steps import NoSuchStep, ProcedureStep, scheduled_links
from storage.records import text
from storage.uids import uid_problem

log = logging.getLogger(__name__)

IN_PROGRESS, COMPLETED, DISCONTINUED = "IN PROGRESS", "COMPLETED", "DISCONTINUED"
STATUSES = (IN_PROGRESS, COMPLETED, DISCONTINUED)
STATUS_KEY = "PerformedProcedureStepStatus"

# PS3.4 Table F.7.2-1: Type 1 on N-CREATE (the SCU must send a value).
REQUIRED_ON_CREATE = (
    "ScheduledStepAttributesSequence",
    "PerformedProcedureStepID",
    "PerformedStationAETitle",
    "PerformedProcedureStepStartDate",
    "PerformedProcedureStepStartTime",
    STATUS_KEY,
    "Modality",
)
# PS3.4 Table F.7.2-1, N-SET "Not allowed": fixed once created. Sending the same value again
# (as many modalities resend the whole step) is accepted; a different one is refused.
FIXED = (
    "ScheduledStepAttributesSequence",
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "PerformedProcedureStepID",
    "PerformedStationAETitle",
    "PerformedStationName",
    "PerformedLocation",
    "PerformedProcedureStepStartDate",
    "PerformedProcedureStepStartTime",
    "Modality",
    "StudyID",
)
# PS3.4 F.7.2.2.2 / Table F.7.2-1 "Final State": what COMPLETED and DISCONTINUED need.
REQUIRED_FINAL = ("PerformedProcedureStepEndDate", "PerformedProcedureStepEndTime")


def _tag(keyword: str) -> int | None:
    return tag_for_keyword(keyword)


def create(
    requested_uid: str, attributes: Dataset, calling_ae: str, ctx: ServiceContext
) -> tuple[str, ProcedureStep]:
    """N-CREATE (PS3.4 F.7.2.1): a new step, IN PROGRESS. Returns its SOP Instance UID (made
    here if the request had none) and the step.

    Raises
    ------
    InvalidAttributeValue, MissingAttribute
        For a status other than IN PROGRESS, a malformed UID, or a missing Type 1 attribute.
    storage.procedure_steps.DuplicateStep
        If the SOP Instance UID is taken (0x0111).
    """
    uid = requested_uid or f"2.25.{uuid.uuid4().int}"
    problem = uid_problem(uid)
    if problem:
        raise InvalidAttributeValue(f"Affected SOP Instance UID {problem}", 0x00001000)
    for keyword in REQUIRED_ON_CREATE:
        if keyword not in attributes:
            raise MissingAttribute(f"N-CREATE needs {keyword} (PS3.4 F.7.2.1)", _tag(keyword))
        if keyword != "ScheduledStepAttributesSequence" and not text(attributes.get(keyword)):
            raise MissingAttribute(f"N-CREATE needs a value for {keyword}", _tag(keyword))
    status = text(attributes.get(STATUS_KEY))
    if status != IN_PROGRESS:
        raise InvalidAttributeValue(
            f"a step is created IN PROGRESS, not {status!r} (PS3.4 F.7.2.1)", _tag(STATUS_KEY)
        )
    step = ctx.procedure_steps.create(uid, attributes, calling_ae)
    _follow(ctx, step)
    return uid, step


def update(uid: str, modifications: Dataset, ctx: ServiceContext) -> ProcedureStep:
    """N-SET (PS3.4 F.7.2.2): update a step IN PROGRESS, or end it.

    Raises
    ------
    storage.procedure_steps.NoSuchStep
        No step *uid* (0x0112).
    StepNotUpdatable
        The step is COMPLETED or DISCONTINUED already, or a final state lacks what it needs
        (0x0110).
    InvalidAttributeValue
        An unknown status, or a change to an attribute fixed at creation (0x0106).
    """
    step = ctx.procedure_steps.get(uid)
    if step is None:
        raise NoSuchStep(f"no procedure step {uid}")
    if step.status != IN_PROGRESS:
        raise StepNotUpdatable(
            f"Performed Procedure Step Object may no longer be updated: it is {step.status}"
        )
    merged = deepcopy(step.attributes)
    for elem in modifications:
        keyword = elem.keyword
        if keyword in FIXED and keyword in merged and merged[elem.tag].value != elem.value:
            raise InvalidAttributeValue(
                f"{keyword} is fixed at N-CREATE and may not be set (PS3.4 F.7.2.2)", elem.tag
            )
        merged[elem.tag] = deepcopy(elem)
    status = text(merged.get(STATUS_KEY))
    if status not in STATUSES:
        raise InvalidAttributeValue(
            f"{STATUS_KEY} {status!r} is not IN PROGRESS, COMPLETED or DISCONTINUED",
            _tag(STATUS_KEY),
        )
    if status in (COMPLETED, DISCONTINUED):
        _check_final(merged, status)
    try:
        updated = ctx.procedure_steps.replace(uid, IN_PROGRESS, merged)
    except NoSuchStep as exc:  # another association ended it meanwhile
        raise StepNotUpdatable(str(exc)) from exc
    if status != IN_PROGRESS:
        _follow(ctx, updated)
    return updated


def _check_final(ds: Dataset, status: str) -> None:
    for keyword in REQUIRED_FINAL:
        if not text(ds.get(keyword)):
            raise StepNotUpdatable(f"{status} needs {keyword} (PS3.4 F.7.2.2.2)", _tag(keyword))
    if status == COMPLETED:
        series = list(ds.get("PerformedSeriesSequence") or [])
        if not series:
            raise StepNotUpdatable(
                "COMPLETED needs a PerformedSeriesSequence item (PS3.4 F.7.2.2.2)",
                _tag("PerformedSeriesSequence"),
            )
        for n, item in enumerate(series):
            if uid_problem(text(item.get("SeriesInstanceUID"))):
                raise StepNotUpdatable(
                    f"PerformedSeriesSequence item {n} needs a valid SeriesInstanceUID",
                    _tag("PerformedSeriesSequence"),
                )


def _follow(ctx: ServiceContext, step: ProcedureStep) -> None:
    """Move the worklist items the step names to the step's status (the same names)."""
    state = step.status
    if state not in STATUSES:
        return
    changed = 0
    for study_uid, sps_id, accession in scheduled_links(step.attributes):
        changed += ctx.worklist.set_state(study_uid, sps_id, accession, state)
    if changed:
        log.info("worklist: %d step(s) now %s (mpps=%s)", changed, state, step.sop_instance_uid)
    if state == COMPLETED and ctx.config.worklist.acquire_on_mpps:
        _acquire_missing(ctx, step)


def _acquire_missing(ctx: ServiceContext, step: ProcedureStep) -> None:
    """The studies the COMPLETED *step* performed that the archive has nothing of, made as
    its modality would have sent them (``services.acquisition``)."""
    for study_uid, _, accession in scheduled_links(step.attributes):
        items = [pk for pk, uid in ctx.worklist.of_accession(accession) if uid == study_uid]
        present, _ = ctx.index.studies_present([study_uid])
        for pk in items[:1] if not present else []:
            try:
                acquire(ctx, pk, client_mpps=True)
            except AcquisitionRefused as exc:
                log.warning("mpps %s: study %s not acquired: %s", step.sop_instance_uid,
                            study_uid, exc)  # fmt: skip
