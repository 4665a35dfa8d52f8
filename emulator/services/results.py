"""HL7 v2 results back (ORU^R01): a finished report attached to its study as a Basic Text SR
(PS3.3 A.35.1, TID 2000 Basic Diagnostic Imaging Report), so that a viewer shows the report
next to the images. The study is the order's: OBR-18 (or ORC-3, OBR-3) as its accession
number, or ZDS-1 as its Study Instance UID. The report's text is its OBX segments' values (TX,
FT, ST), a finding each; OBR-25 F makes it complete and verified by OBR-32 (the principal
result interpreter), P preliminary."""

from __future__ import annotations

import datetime as dt
import uuid
from io import BytesIO
from typing import Any

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import BasicTextSRStorage, ExplicitVRLittleEndian

from emulator.services.context import ServiceContext
from emulator.services.hl7_messages import HL7Error, OrderResult, field, has
from emulator.services.store import store_instance
from storage.objects import content as sr
from storage.query import Query

REPORT = ("18748-4", "LN", "Diagnostic imaging report")
FINDINGS, FINDING = ("121070", "DCM", "Findings"), ("121071", "DCM", "Finding")
LANGUAGE = ("121049", "DCM", "Language of Content Item and Descendants")
ENGLISH = ("en-US", "RFC5646", "English (United States)")
OBSERVER_TYPE, PERSON = ("121005", "DCM", "Observer Type"), ("121006", "DCM", "Person")
OBSERVER_NAME = ("121008", "DCM", "Person Observer Name")
PATIENT_STUDY = (
    "SpecificCharacterSet", "PatientName", "PatientID", "IssuerOfPatientID", "PatientBirthDate",
    "PatientSex", "StudyInstanceUID", "StudyDate", "StudyTime", "ReferringPhysicianName",
    "StudyID", "AccessionNumber", "StudyDescription",
)  # fmt: skip
CALLING_AE = "HL7"


def _texts(msg: Any) -> list[str]:
    """Each OBX's text value (OBX-2 TX, FT or ST; FT's escapes for line breaks undone)."""
    lines = []
    for segment in msg.segments("OBX") if has(msg, "OBX") else []:
        if str(segment(2)).upper() in ("TX", "FT", "ST"):
            value = str(segment(5)).replace("\\.br\\", "\n").strip()
            if value:
                lines.append(value)
    return lines


def _study(ctx: ServiceContext, msg: Any) -> Dataset:
    """A header of the report's study (its patient and study attributes)."""
    uid = field(msg, "ZDS", 1) if has(msg, "ZDS") else ""
    accession = field(msg, "OBR", 18) or field(msg, "ORC", 3) or field(msg, "OBR", 3)
    if uid:
        where, params, said = "st.study_uid = ?", (uid,), f"Study Instance UID {uid}"
    elif accession:
        where, params, said = "st.accession_number = ?", (accession,), f"accession {accession}"
    else:
        raise HL7Error("the report names no study: OBR-18 (accession number) or ZDS-1",
                       where="OBR^1^18")  # fmt: skip
    query = Query("st.study_uid AS study_uid", "studies st", (where,), params, "st.pk")
    found = [row["study_uid"] for row in ctx.index.iter_rows(query)]
    if not found:
        raise HL7Error(f"the archive has no study with {said}", where="OBR^1^18", hl7_error=204)
    first = next(iter(ctx.index.locations(found[:1])))
    stored = ctx.index.instance(first["sop_instance_uid"])
    assert stored is not None
    return ctx.instances.header(stored.location)


def _report(study: Dataset, texts: list[str], final: bool, reader: str) -> Dataset:
    now = dt.datetime.now()
    day, time = now.strftime("%Y%m%d"), now.strftime("%H%M%S")
    ds = Dataset()
    for keyword in PATIENT_STUDY:
        if keyword in study:
            ds[keyword] = study[keyword]
    ds.SOPClassUID = BasicTextSRStorage
    ds.SOPInstanceUID = f"2.25.{uuid.uuid4().int}"
    ds.Modality, ds.SeriesInstanceUID = "SR", f"2.25.{uuid.uuid4().int}"
    ds.SeriesNumber, ds.InstanceNumber = 900, 1
    ds.SeriesDescription = "REPORT"
    ds.Manufacturer = "DICOM Fabricator"
    ds.ReferencedPerformedProcedureStepSequence = []
    ds.ContentDate, ds.ContentTime = day, time
    ds.InstanceCreationDate, ds.InstanceCreationTime = day, time
    ds.CompletionFlag = "COMPLETE" if final else "PARTIAL"
    ds.VerificationFlag = "VERIFIED" if final else "UNVERIFIED"
    if final:
        verifier = Dataset()
        verifier.VerifyingObserverName = reader or "UNKNOWN^READER"
        verifier.VerifyingOrganization = "Fabricated General Hospital"
        verifier.VerificationDateTime = day + time
        verifier.VerifyingObserverIdentificationCodeSequence = []
        ds.VerifyingObserverSequence = [verifier]
    ds.PerformedProcedureCodeSequence = []
    findings = sr.container("CONTAINS", FINDINGS, [sr.text("CONTAINS", FINDING, t) for t in texts])
    items = [sr.coded("HAS CONCEPT MOD", LANGUAGE, ENGLISH)]
    if reader:
        items += [sr.coded("HAS OBS CONTEXT", OBSERVER_TYPE, PERSON),
                  sr.person("HAS OBS CONTEXT", OBSERVER_NAME, reader)]  # fmt: skip
    sr.into(ds, sr.container(None, REPORT, [*items, findings], tid="2000"))
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def _interpreter(msg: Any) -> str:
    """OBR-32, the principal result interpreter (NDL: its first component a CNN of
    subcomponents ID&family&given&middle), as a DICOM PN."""
    try:  # python-hl7 splits the subcomponents: the 2nd to the 4th
        parts = [str(msg.extract_field("OBR", 1, 32, 1, 1, n)).strip() for n in (2, 3, 4)]
    except (KeyError, IndexError):
        return ""
    while parts and not parts[-1]:
        parts.pop()
    return "^".join(parts)


def apply(msg: Any, ctx: ServiceContext) -> OrderResult:
    """Attach the report of one ORU^R01 (parsed) to its study; HL7Error saying why not."""
    texts = _texts(msg)
    if not texts:
        raise HL7Error("the report has no text: OBX segments of type TX, FT or ST",
                       where="OBX^1^5")  # fmt: skip
    study = _study(ctx, msg)
    status = field(msg, "OBR", 25).upper()
    report = _report(study, texts, status in ("F", "C"), _interpreter(msg))
    buffer = BytesIO()
    report.save_as(buffer, enforce_file_format=True)
    store_instance(buffer.getvalue(), None, None, None, CALLING_AE, ctx)
    detail = f"report={report.SOPInstanceUID} study={study.StudyInstanceUID} lines={len(texts)}"
    return OrderResult("AA", "", control="R01", detail=detail)
