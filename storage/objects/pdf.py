"""Encapsulated PDF (PS3.3 A.45.1): the study's report as a small, valid PDF made at
fabrication time (one page, the standard Helvetica font, WinAnsi text), so that a viewer's
PDF display and a PACS's document handling meet a real document."""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from storage.objects.context import StudyContext
from storage.objects.kinds import KINDS

FINDINGS = [
    "No acute abnormality.",
    "Small nonspecific nodule, follow-up suggested in 12 months.",
    "Mild degenerative changes.",
    "No evidence of fracture or dislocation.",
    "Findings are stable compared with the prior examination.",
    "Minimal atelectasis at the bases.",
    "Normal size and configuration.",
]


def _text(value: str) -> bytes:
    """*value* as a PDF string literal in WinAnsi (cp1252), escaped."""
    raw = value.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def pdf_report(title: str, lines: list[str]) -> bytes:
    """A one-page PDF 1.4 with *title* and *lines*: objects, a cross-reference table with
    their exact offsets and a trailer, as PDF readers expect."""
    content = [b"BT /F1 16 Tf 56 780 Td " + _text(title) + b" Tj ET"]
    for n, line in enumerate(lines):
        content.append(b"BT /F1 11 Tf 56 %d Td " % (750 - 16 * n) + _text(line) + b" Tj ET")
    stream = b"\n".join(content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def build(ctx: StudyContext) -> Dataset:
    kind = KINDS["DOC"]
    ds = ctx.common(kind.modality, kind.sop_class, kind.series_description)
    study = ctx.study
    findings = ctx.rng.sample(FINDINGS, 3)
    lines = [
        f"Patient: {study.PatientName}   ID: {study.PatientID}",
        f"Study: {study.get('StudyDescription', '')}   Date: {study.StudyDate}",
        f"Accession: {study.get('AccessionNumber', '')}",
        "",
        "Findings:",
        *(f"  {finding}" for finding in findings),
        "",
        f"Impression: {findings[0]}",
        "",
        f"Reported by {study.get('ReferringPhysicianName', '')}",
    ]
    document = pdf_report("RADIOLOGY REPORT", lines)
    ds.ConversionType = "WSD"  # SC Equipment: a workstation made it (C.8.6.1)
    ds.BurnedInAnnotation = "YES"  # the patient's name is in the document
    ds.DocumentTitle = "RADIOLOGY REPORT"
    concept = Dataset()
    concept.CodeValue, concept.CodingSchemeDesignator = "18748-4", "LN"
    concept.CodeMeaning = "Diagnostic imaging report"
    ds.ConceptNameCodeSequence = Sequence([concept])
    ds.AcquisitionDateTime = ctx.date + ctx.time
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.EncapsulatedDocumentLength = len(document)
    ds.EncapsulatedDocument = document + (b"\x00" if len(document) % 2 else b"")
    return ds
