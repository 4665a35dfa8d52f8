"""The ``edge-cases`` fabrication profile: valid objects that stress a vendor's parser.

Each patient of the profile is one case, in this order (more patients cycle through them):

- ``latin1``: ISO_IR 100 (Latin-1) names and texts with accents;
- ``utf8``: ISO_IR 192 (UTF-8) names in Greek, Cyrillic, Chinese, Korean, Hebrew and Arabic;
- ``japanese``: ISO 2022 IR 87 with alphabetic, ideographic and phonetic name groups (PS3.5
  H.3.1);
- ``max-length``: every value we write at its VR's maximum length (PS3.5 Table 6.2-1), UIDs of
  64 characters, an LT of 10,240 characters;
- ``empty-type2``: Type 2 attributes present and empty (PS3.5 §7.4.5);
- ``private-nested``: a private block with its creator, sequences nested three deep (standard
  and private);
- ``odd-matrix``: 37 rows by 53 columns (odd pixel data lengths are padded);
- ``long-series``: its first series has 1,200 instances.

Everything still passes dciodvfy; the cases only use what the standard allows.

The ``character-sets`` profile makes each patient one character set of
``storage.charset_names`` in turn (:data:`CHARSET_CASES`): its patient, physicians and
institution named in that script, the study described in that language, each instance
encoded in its declared Specific Character Set.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pydicom.dataset import Dataset

from storage import torture
from storage.charset_names import CHARSETS, DESCRIPTIONS, NAMES

CASES = (
    "latin1",
    "utf8",
    "japanese",
    "max-length",
    "empty-type2",
    "private-nested",
    "odd-matrix",
    "long-series",
)
CHARSET_CASES = tuple(CHARSETS)  # the character-sets profile
TORTURE_CASES = torture.CASES  # the viewer-torture profile
LONG_SERIES = 1200
ODD_MATRIX = (37, 53)
PRIVATE_GROUP = 0x0029
PRIVATE_CREATOR = "DICOM FABRICATOR EDGE"


@dataclass(frozen=True, slots=True)
class Case:
    """One edge case: what it changes in the fabricated objects."""

    name: str
    charset: str | list[str] = "ISO_IR 100"
    long_uids: bool = False
    rows_columns: tuple[int, int] | None = None
    first_series_instances: int | None = None
    localized: bool = False  # the character-sets profile: the study described in its language
    modality: str | None = None  # the viewer-torture profile: the modality the case needs
    frames: int | None = None  # and how many frames its images have (the modality's if None)


def case(patient: int, cases: tuple[str, ...] = CASES) -> Case:
    """The case of the patient *patient* of the profile whose cases are *cases*."""
    name = cases[patient % len(cases)]
    if name in CHARSETS:
        return Case(name, charset=CHARSETS[name], localized=cases == CHARSET_CASES)
    if name in torture.CASES:
        return Case(
            name,
            modality=torture.MODALITY[name],
            frames=torture.FRAMES.get(name),
            rows_columns=torture.ROWS_COLUMNS.get(name),
        )
    if name == "max-length":
        return Case(name, long_uids=True)
    if name == "odd-matrix":
        return Case(name, rows_columns=ODD_MATRIX)
    if name == "long-series":
        return Case(name, first_series_instances=LONG_SERIES)
    return Case(name)


def long_uid(uid: str) -> str:
    """*uid* extended with sub-arcs to exactly 64 characters (its owner's to extend)."""
    while len(uid) < 61:
        uid += ".1"
    return uid + (".99" if len(uid) == 61 else ".9")  # 61 or 62 characters so far


def patient(rng: random.Random, values: dict[str, str], c: Case) -> None:
    """Names (and the character set) of the case's patient, in place."""
    values["SpecificCharacterSet"] = c.charset  # type: ignore[assignment]
    if c.name in NAMES:
        values["PatientName"] = rng.choice(NAMES[c.name])[0]
    elif c.name == "max-length":
        values["PatientName"] = "M" * 31 + "^" + "X" * 32  # a component group of 64
        values["PatientID"] = (values["PatientID"] + "-").ljust(64, "9")  # LO: 64
    elif c.name == "empty-type2":
        values["PatientName"] = values["PatientBirthDate"] = values["PatientSex"] = ""
        del values["PatientAge"]  # Type 3


def study(values: dict[str, object], c: Case, rng: random.Random | None = None) -> None:
    """Study attributes of the case, in place (*rng*: the study's, for a character set's
    referring physician)."""
    if c.localized:
        values["StudyDescription"] = DESCRIPTIONS[c.name]
        if rng is not None:
            values["ReferringPhysicianName"] = rng.choice(NAMES[c.name])[0]
    elif c.name == "max-length":
        values["AccessionNumber"] = str(values["AccessionNumber"]).ljust(16, "0")  # SH: 16
        values["StudyID"] = "S".ljust(16, "0")
        values["StudyDescription"] = "MAXIMUM LENGTH STUDY DESCRIPTION ".ljust(64, "=")
        values["ReferringPhysicianName"] = "R" * 40 + "^" + "P" * 23
    elif c.name == "empty-type2":
        for key in ("StudyDate", "StudyTime", "AccessionNumber", "StudyID"):
            values[key] = ""
        values["ReferringPhysicianName"] = ""


def series(ds: Dataset, rng: random.Random, c: Case) -> None:
    """Series-wide attributes of the case, applied last, in place."""
    if c.name in NAMES:
        ds.InstitutionName = rng.choice(NAMES[c.name])[1]
        ds.PerformingPhysicianName = rng.choice(NAMES[c.name])[0]
    elif c.name == "max-length":
        ds.SeriesDescription = "MAXIMUM LENGTH SERIES DESCRIPTION ".ljust(64, "=")
        ds.ProtocolName = "P".ljust(64, "-")
        ds.InstitutionName = "MAXIMUM LENGTH INSTITUTION NAME ".ljust(64, ".")
        ds.StationName = "STATION".ljust(16, "0")
        ds.ManufacturerModelName = "M".ljust(64, "0")
        ds.ImageComments = ("Edge case: an LT at its maximum length. " * 260)[:10239] + "."
    elif c.name == "empty-type2":
        for keyword in ("ContentDate", "ContentTime"):
            setattr(ds, keyword, "")  # Type 2C for a temporally related series: empty
        for keyword in ("SeriesDate", "SeriesTime", "InstanceCreationDate", "InstanceCreationTime"):
            delattr(ds, keyword)  # Type 3: absent when not known
    elif c.name == "private-nested":
        _private_and_nested(ds)
    elif c.name in torture.CASES:
        torture.series(ds, c.name)


def _private_and_nested(ds: Dataset) -> None:
    """A private block with its creator, and sequences three levels deep."""
    block = ds.private_block(PRIVATE_GROUP, PRIVATE_CREATOR, create=True)
    block.add_new(0x10, "LO", "fabricated private text")
    block.add_new(0x11, "UL", 42)
    block.add_new(0x12, "OB", b"\x01\x02\x03")  # odd length: padded when written
    inner = Dataset()
    inner_block = inner.private_block(PRIVATE_GROUP, PRIVATE_CREATOR, create=True)
    inner_block.add_new(0x10, "LO", "second level")
    deepest = Dataset()
    deepest.private_block(PRIVATE_GROUP, PRIVATE_CREATOR, create=True).add_new(
        0x10, "LO", "third level"
    )
    inner_block.add_new(0x13, "SQ", [deepest])
    block.add_new(0x13, "SQ", [inner])
    # standard nesting: Request Attributes > Scheduled Protocol Code > Protocol Context
    context = Dataset()
    context.ValueType = "TEXT"
    concept = Dataset()
    concept.CodeValue, concept.CodingSchemeDesignator = "121106", "DCM"
    concept.CodeMeaning = "Comment"
    context.ConceptNameCodeSequence = [concept]
    context.TextValue = "nested three levels deep"
    protocol = Dataset()
    protocol.CodeValue, protocol.CodingSchemeDesignator = "24627-2", "LN"  # LOINC
    protocol.CodeMeaning = "CT Chest"
    protocol.ProtocolContextSequence = [context]
    request = Dataset()
    request.RequestedProcedureID = "RP-EDGE"
    request.ScheduledProcedureStepID = "SPS-EDGE"
    request.ScheduledProtocolCodeSequence = [protocol]
    ds.RequestAttributesSequence = [request]
