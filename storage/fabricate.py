"""Deterministic synthetic studies: patients, studies, series and instances from a seed.

Every entity draws from its own random stream, seeded from the specification's seed and the
entity's position (``random.Random`` seeded with a string is the same on every machine), so any
single instance can be rebuilt on its own, byte for byte: this is what lets the index hold only a
recipe (the specification and the instance's position) and synthesize the instance on demand.
UIDs are ``2.25.`` UUID-derived (PS3.5 B.2) from a name-based UUID of the seed and the entity's
path, so they depend on the seed alone; dates count back from the specification's anchor.

Modalities and their IOD modules are in ``storage.iods``; pixel data in ``storage.pixels``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from io import BytesIO
from typing import NamedTuple

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_dataset
from pydicom.filewriter import write_dataset
from pydicom.pixels.encoders.base import get_encoder
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    RLELossless,
)

from storage import edge_cases
from storage.attributes import BY_KEYWORD, Level
from storage.iods import IODS, Series
from storage.locations import RECIPE_SCHEME
from storage.records import InstanceRecord, attribute_columns, level_columns

MODALITIES = tuple(IODS)
PROFILES = ("standard", "edge-cases")  # edge-cases: see storage.edge_cases
MANUFACTURER = "DICOM Fabricator"

# Transfer syntaxes a fabricated series can be in, by the names the CLI takes.
TRANSFER_SYNTAXES = {
    "explicit": ExplicitVRLittleEndian,
    "implicit": ImplicitVRLittleEndian,
    "deflated": DeflatedExplicitVRLittleEndian,
    "rle": RLELossless,
    "jpeg-ls": JPEGLSLossless,  # needs pyjpegls
    "jpeg2000": JPEG2000Lossless,  # needs pylibjpeg and pylibjpeg-openjpeg
}
_COMPRESSED = frozenset({RLELossless, JPEGLSLossless, JPEG2000Lossless})

_FAMILY = [
    "GARCIA",
    "SMITH",
    "MÜLLER",
    "NGUYEN",
    "ROSSI",
    "KOWALSKI",
    "DUBOIS",
    "SILVA",
    "JOHANSSON",
    "OKAFOR",
    "HANSEN",
    "KIM",
    "PATEL",
    "COHEN",
    "NOVAK",
    "MURPHY",
    "YAMAMOTO",
    "HADDAD",
    "IVANOVA",
    "O'BRIEN",
]
_GIVEN = {
    "F": ["ANNA", "MARIA", "SOFIA", "LINH", "CHIARA", "EWA", "AMARA", "INGRID", "YUKI", "LEILA"],
    "M": ["JOHN", "LUCAS", "MATEO", "MINH", "MARCO", "PIOTR", "CHIDI", "ERIK", "KENJI", "OMAR"],
}
_PHYSICIANS = ["HOUSE^GREGORY", "GREY^MEREDITH", "ROSS^DOUG", "QUINCY^MICHAELA", "YANG^CRISTINA"]
_OPERATORS = ["TECH^ALEX", "TECH^SAM", "TECH^ROBIN"]
_PAIRED = frozenset({"KNEE", "HAND", "BREAST"})
_PROTOCOLS = {  # modality → (body part, study description, series descriptions)
    "CT": [
        ("CHEST", "CT CHEST W/O CONTRAST", ["AXIAL 5MM", "AXIAL 1MM LUNG"]),
        ("HEAD", "CT HEAD", ["AXIAL BRAIN", "AXIAL BONE"]),
        ("ABDOMEN", "CT ABDOMEN PELVIS", ["PORTAL VENOUS", "DELAYED"]),
    ],
    "MR": [
        ("BRAIN", "MR BRAIN", ["T1 AXIAL", "T2 AXIAL", "FLAIR AXIAL"]),
        ("KNEE", "MR KNEE", ["PD SAG", "T2 COR"]),
        ("SPINE", "MR LUMBAR SPINE", ["T1 SAG", "T2 SAG"]),
    ],
    "CR": [
        ("CHEST", "CR CHEST 2 VIEWS", ["PA", "LATERAL"]),
        ("HAND", "CR HAND", ["PA", "OBLIQUE"]),
    ],
    "DX": [
        ("CHEST", "DX CHEST PA AND LATERAL", ["PA", "LATERAL"]),
        ("KNEE", "DX KNEE", ["AP", "LATERAL"]),
    ],
    "MG": [("BREAST", "MG SCREENING BILATERAL", ["R CC", "L CC", "R MLO", "L MLO"])],
    "US": [
        ("HEART", "US ECHOCARDIOGRAM", ["PLAX", "APICAL 4CH", "SAX"]),
        ("ABDOMEN", "US ABDOMEN", ["LIVER", "KIDNEYS"]),
    ],
    "XA": [("HEART", "XA CORONARY ANGIOGRAPHY", ["LCA RAO CAUDAL", "RCA LAO"])],
    "NM": [("WHOLEBODY", "NM BONE SCAN WHOLE BODY", ["ANT POST STATIC"])],
    "PT": [("WHOLEBODY", "PET-CT FDG WHOLE BODY", ["PET AC", "PET NAC"])],
    "SC": [("CHEST", "SECONDARY CAPTURE", ["SCREEN CAPTURE"])],  # e.g. a captured report
}


@dataclass(frozen=True, slots=True)
class FabricationSpec:
    """What to fabricate: a recipe that rebuilds every instance on its own.

    ``matrix`` (rows and columns) overrides each modality's realistic image size; ``anchor``
    is the date study dates count back from (``window_days`` at most); each series takes the
    next of ``transfer_syntaxes`` in turn; ``profile`` ``edge-cases`` makes each patient one
    of the cases of ``storage.edge_cases``.
    """

    seed: int = 1
    patients: int = 3
    studies_per_patient: int = 1
    series_per_study: int = 2
    instances_per_series: int = 5
    modalities: tuple[str, ...] = MODALITIES
    matrix: int | None = None
    anchor: dt.date = field(default_factory=dt.date.today)
    window_days: int = 365
    transfer_syntaxes: tuple[str, ...] = (ExplicitVRLittleEndian,)
    profile: str = "standard"

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            optional = f.type == "int | None" and value is None
            if f.type in ("int", "int | None") and not optional and not isinstance(value, int):
                raise ValueError(f"{f.name} must be an integer")
        for name in ("patients", "studies_per_patient", "series_per_study"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.instances_per_series < 1:
            raise ValueError("instances_per_series must be at least 1")
        if self.matrix is not None and not 8 <= self.matrix <= 4096:
            raise ValueError("matrix must be from 8 to 4096")
        if self.window_days < 0:
            raise ValueError("window_days must not be negative")
        if not self.modalities:
            raise ValueError("modalities must name at least one modality")
        for modality in self.modalities:
            if modality not in IODS:
                raise ValueError(f"modality {modality!r} is not one of {', '.join(IODS)}")
        if self.profile not in PROFILES:
            raise ValueError(f"profile {self.profile!r} is not one of {', '.join(PROFILES)}")
        if not self.transfer_syntaxes:
            raise ValueError("transfer_syntaxes must name at least one")
        for syntax in self.transfer_syntaxes:
            if syntax not in TRANSFER_SYNTAXES.values():
                known = ", ".join(TRANSFER_SYNTAXES)
                raise ValueError(f"transfer syntax {syntax!r} is not one of {known}")

    def missing_encoders(self) -> list[str]:
        """What to install for the compressed syntaxes this spec names (empty: nothing)."""
        missing = []
        for syntax in self.transfer_syntaxes:
            if syntax in _COMPRESSED:
                encoder = get_encoder(syntax)
                if not encoder.is_available:
                    needs = "; ".join(encoder.missing_dependencies)
                    missing.append(f"{UID(syntax).name} needs {needs}")
        return missing

    @property
    def total(self) -> int:
        """How many instances the spec describes."""
        return sum(
            instances_in(self, p, s, se)
            for p in range(self.patients)
            for s in range(self.studies_per_patient)
            for se in range(self.series_per_study)
        )

    def to_json(self) -> str:
        """The spec as JSON (what a recipe row stores)."""
        values = asdict(self)
        values["anchor"] = self.anchor.isoformat()
        return json.dumps(values, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> FabricationSpec:
        """The spec :meth:`to_json` wrote; raises ValueError if *text* is not one."""
        values = json.loads(text)
        if not isinstance(values, dict):
            raise ValueError("a fabrication spec is a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown fabrication spec field(s): {', '.join(sorted(unknown))}")
        values["anchor"] = dt.date.fromisoformat(values["anchor"])
        for name in ("modalities", "transfer_syntaxes"):
            values[name] = tuple(values[name])
        return cls(**values)


class Position(NamedTuple):
    """Where an instance lies in its spec: patient, study, series and instance indexes."""

    patient: int
    study: int
    series: int
    instance: int


def _case(spec: FabricationSpec, p: int) -> edge_cases.Case | None:
    return edge_cases.case(p) if spec.profile == "edge-cases" else None


def study_uids(spec: FabricationSpec) -> Iterator[str]:
    """The Study Instance UIDs *spec* makes, in order, without building any instance."""
    for p in range(spec.patients):
        for s in range(spec.studies_per_patient):
            yield _uid(spec, "study", p, s)


def instances_in(spec: FabricationSpec, p: int, s: int, se: int) -> int:
    """How many instances the series at (*p*, *s*, *se*) has."""
    case = _case(spec, p)
    if case is not None and case.first_series_instances and (s, se) == (0, 0):
        return case.first_series_instances
    return spec.instances_per_series


def positions(spec: FabricationSpec) -> Iterator[Position]:
    """Every position *spec* describes, in order."""
    for p in range(spec.patients):
        for s in range(spec.studies_per_patient):
            for se in range(spec.series_per_study):
                for i in range(instances_in(spec, p, s, se)):
                    yield Position(p, s, se, i)


def _rng(spec: FabricationSpec, *path: object) -> random.Random:
    return random.Random(":".join(str(p) for p in (spec.seed, *path)))


_UID_NAMESPACE = uuid.UUID("5b0e6e7c-3f0a-4d1c-9a3e-0f6a1f2b7c11")  # this project's


def _uid(spec: FabricationSpec, *path: object) -> str:
    """A UUID-derived UID (PS3.5 B.2: ``2.25.`` + the UUID as an integer), name-based
    (UUID version 5) on the seed and the entity's path, so it is the same on every run."""
    name = ":".join(str(part) for part in (spec.seed, *path))
    uid = f"2.25.{uuid.uuid5(_UID_NAMESPACE, name).int}"
    case = _case(spec, int(str(path[1])))  # every entity's path is (kind, patient, ...)
    return edge_cases.long_uid(uid) if case is not None and case.long_uids else uid


def _patient(spec: FabricationSpec, p: int) -> dict[str, str]:
    rng = _rng(spec, "patient", p)
    sex = rng.choice("FM")
    age = rng.randint(1, 95)
    birth = spec.anchor - dt.timedelta(days=age * 365 + rng.randint(0, 364))
    values = {
        "SpecificCharacterSet": "ISO_IR 100",
        "PatientName": f"{rng.choice(_FAMILY)}^{rng.choice(_GIVEN[sex])}",
        "PatientID": f"FAB{spec.seed}-{p:05d}",
        "PatientBirthDate": birth.strftime("%Y%m%d"),
        "PatientSex": sex,
        "PatientAge": f"{age:03d}Y",
    }
    case = _case(spec, p)
    if case is not None:
        edge_cases.patient(rng, values, case)
    return values


def _study(spec: FabricationSpec, p: int, s: int) -> dict[str, object]:
    rng = _rng(spec, "study", p, s)
    modality = spec.modalities[(p + s) % len(spec.modalities)]
    body_part, description, series = rng.choice(_PROTOCOLS[modality])
    when = spec.anchor - dt.timedelta(days=rng.randint(0, spec.window_days))
    values: dict[str, object] = {
        "uid": _uid(spec, "study", p, s),
        "modality": modality,
        "body_part": body_part,
        "laterality": rng.choice("LR") if body_part in _PAIRED else "",
        "series": series,
        "frame_of_reference": _uid(spec, "for", p, s),
        "StudyDate": when.strftime("%Y%m%d"),
        "StudyTime": f"{rng.randint(7, 19):02d}{rng.randint(0, 59):02d}{rng.randint(0, 59):02d}",
        "AccessionNumber": f"A{spec.seed}{p:05d}{s:02d}",
        "StudyID": str(s + 1),
        "StudyDescription": description,
        "ReferringPhysicianName": rng.choice(_PHYSICIANS),
        "OperatorsName": rng.choice(_OPERATORS),
        "PerformingPhysicianName": rng.choice(_PHYSICIANS),
    }
    case = _case(spec, p)
    if case is not None:
        edge_cases.study(values, case)
    return values


def _series_ordinal(spec: FabricationSpec, p: int, s: int, se: int) -> int:
    return (p * spec.studies_per_patient + s) * spec.series_per_study + se


def transfer_syntax(spec: FabricationSpec, position: Position) -> UID:
    """The transfer syntax of the series at *position*."""
    n = _series_ordinal(spec, position.patient, position.study, position.series)
    return UID(spec.transfer_syntaxes[n % len(spec.transfer_syntaxes)])


@lru_cache(maxsize=256)
def _series_header(spec: FabricationSpec, p: int, s: int, se: int) -> tuple[Series, Dataset]:
    """Every attribute the instances of one series share (no pixel data).

    Patient, General Study, Patient Study, General Series, General Equipment, the series-wide
    part of General Image and SOP Common, and the modality's own modules (``storage.iods``).
    """
    patient, study = _patient(spec, p), _study(spec, p, s)
    modality = str(study["modality"])
    iod = IODS[modality]
    names = list(study["series"])  # type: ignore[call-overload]
    description = names[se % len(names)]
    laterality = str(study["laterality"])
    if modality == "MG":  # each view names its breast
        laterality = description.split()[0]
    case = _case(spec, p)
    rows, columns = (spec.matrix or iod.rows, spec.matrix or iod.columns)
    if case is not None and case.rows_columns:
        rows, columns = case.rows_columns
    series = Series(
        modality=modality,
        rows=rows,
        columns=columns,
        instances=instances_in(spec, p, s, se),
        frames=iod.frames,
        description=description,
        body_part=str(study["body_part"]),
        laterality=laterality,
        frame_of_reference=str(study["frame_of_reference"]),
        date=str(study["StudyDate"]),
        time=str(study["StudyTime"]),
    )
    ds = Dataset()
    ds.update(patient)  # type: ignore[arg-type]
    for key in (
        "StudyDate",
        "StudyTime",
        "AccessionNumber",
        "StudyID",
        "StudyDescription",
        "ReferringPhysicianName",
        "OperatorsName",
        "PerformingPhysicianName",
    ):
        setattr(ds, key, study[key])
    ds.StudyInstanceUID = study["uid"]
    ds.SeriesInstanceUID = _uid(spec, "series", p, s, se)
    ds.SeriesNumber = se + 1
    ds.SeriesDescription = description
    ds.ProtocolName = str(study["StudyDescription"])
    ds.Modality = iod.modality
    if series.body_part:
        ds.BodyPartExamined = series.body_part
    if laterality and modality not in ("MG", "DX"):  # Type 2C: paired parts (C.7.3.1)
        ds.Laterality = laterality
    ds.SeriesDate, ds.SeriesTime = series.date, series.time
    ds.Manufacturer = MANUFACTURER
    ds.ManufacturerModelName = "Fabricator " + modality
    ds.InstitutionName = "Fabricated General Hospital"
    ds.StationName = f"{modality}01"
    ds.SoftwareVersions = "0.1"
    ds.SOPClassUID = iod.sop_class
    ds.ContentDate, ds.ContentTime = series.date, series.time
    ds.InstanceCreationDate, ds.InstanceCreationTime = series.date, series.time
    ds.Rows, ds.Columns = series.rows, series.columns
    iod.series(ds, series)
    if case is not None:
        edge_cases.series(ds, _rng(spec, "edge", p, s, se), case)
    return series, _preencoded(ds, transfer_syntax(spec, Position(p, s, se, 0)))


def _preencoded(ds: Dataset, syntax: UID) -> Dataset:
    """*ds* with every element already encoded for *syntax* (raw elements, PS3.5 §7).

    The instances of a series share these elements; pydicom writes a raw element by copying
    its bytes, so encoding an instance costs its few own elements and its pixel data.
    """
    implicit = syntax == ImplicitVRLittleEndian
    buffer = DicomBytesIO()
    buffer.is_little_endian, buffer.is_implicit_VR = True, implicit
    write_dataset(buffer, ds)
    raw = read_dataset(BytesIO(buffer.getvalue()), implicit, True)
    raw.set_original_encoding(implicit, True, ds._character_set)  # Python codec names
    return raw


def instance_header(spec: FabricationSpec, position: Position) -> Dataset:
    """The instance at *position* without its pixel data (what C-FIND return keys need)."""
    p, s, se, i = position
    series, shared = _series_header(spec, p, s, se)
    # A new dataset over the same (never mutated) elements: cheaper than building them again.
    ds = Dataset(dict(shared.items()))
    implicit, little = shared.original_encoding
    ds.set_original_encoding(implicit, little, shared.original_character_set)  # raw: as is
    ds.SOPInstanceUID = _uid(spec, "instance", p, s, se, i)
    ds.InstanceNumber = i + 1
    IODS[series.modality].instance(ds, series, i)
    return ds


def synthesize(spec: FabricationSpec, position: Position) -> Dataset:
    """The complete instance at *position*, with its File Meta Information, encoded in its
    series' transfer syntax (compressed syntaxes: pixel data compressed by pydicom).

    Raises
    ------
    RuntimeError
        If the series' syntax needs an encoder that is not installed
        (:meth:`FabricationSpec.missing_encoders`).
    """
    p, s, se, i = position
    ds = instance_header(spec, position)
    series, _ = _series_header(spec, p, s, se)
    seed = _rng(spec, "pixels", p, s, se, i).getrandbits(32)
    IODS[series.modality].pixels(ds, series, i, seed)
    ds["PixelData"].VR = "OW" if ds.BitsAllocated > 8 else "OB"  # PS3.5 §8.2 (native)
    if len(ds.PixelData) % 2:  # odd rows x columns of 8-bit pixels: pad to even (PS3.5 §8.1.1)
        ds.PixelData += b"\x00"
    syntax = transfer_syntax(spec, position)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    if syntax in _COMPRESSED:
        ds.compress(syntax, generate_instance_uid=False)
        ds.LossyImageCompression = "00"  # lossless
    else:
        ds.file_meta.TransferSyntaxUID = syntax
    return ds


def fabricate(spec: FabricationSpec) -> Iterator[Dataset]:
    """Every instance *spec* describes, complete, in order (patients, studies, series,
    instances)."""
    for position in positions(spec):
        yield synthesize(spec, position)


_VARYING = ("SOPInstanceUID", "InstanceNumber")  # the image-level keys that differ per instance


def records(spec: FabricationSpec) -> Iterator[tuple[InstanceRecord, Position]]:
    """The index record of every instance *spec* describes, without drawing any pixels.

    Patient, study and series columns are computed once per series; image columns once per
    series too, except those of the keys that vary per instance (``tests`` check that these
    records equal those of the synthesized instances).
    """
    for p in range(spec.patients):
        for s in range(spec.studies_per_patient):
            for se in range(spec.series_per_study):
                first = instance_header(spec, Position(p, s, se, 0))
                columns = {level: level_columns(first, level) for level in Level}
                syntax = transfer_syntax(spec, Position(p, s, se, 0))
                for i in range(instances_in(spec, p, s, se)):
                    uid = _uid(spec, "instance", p, s, se, i)
                    image = dict(columns[Level.IMAGE])
                    image.update(attribute_columns(BY_KEYWORD["SOPInstanceUID"], uid))
                    image.update(attribute_columns(BY_KEYWORD["InstanceNumber"], i + 1))
                    record = InstanceRecord(
                        sop_instance_uid=uid,
                        sop_class_uid=str(first.SOPClassUID),
                        series_instance_uid=str(first.SeriesInstanceUID),
                        study_instance_uid=str(first.StudyInstanceUID),
                        transfer_syntax_uid=syntax,
                        columns={**columns, Level.IMAGE: image},
                    )
                    yield record, Position(p, s, se, i)


# -- worklist items: orders for fabricated patients -----------------------------------------------


def _code(value: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, "99FABRICATOR", meaning
    return item


def station_modality(station: str, spec: FabricationSpec, n: int) -> str:
    """The modality a station AE title names by its leading letters (``CT01``: CT), else the
    spec's modalities in turn."""
    letters = "".join(c for c in station if c.isalpha()).upper()
    return letters if letters in IODS else spec.modalities[n % len(spec.modalities)]


def worklist_items(spec: FabricationSpec, count: int, stations: tuple[str, ...]) -> list[Dataset]:
    """*count* worklist items for *spec*'s patients, scheduled on its anchor day (today by
    default) every 15 minutes from 08:00 on *stations* in turn. Each has its own accession
    number and Study Instance UID, for the images and the procedure step to share."""
    items = []
    for n in range(count):
        p = n % spec.patients
        patient = _patient(spec, p)
        station = stations[n % len(stations)]
        modality = station_modality(station, spec, n)
        rng = _rng(spec, "worklist", n)
        body_part, description, series = rng.choice(_PROTOCOLS[modality])
        minutes = 8 * 60 + 15 * n
        ds = Dataset()
        ds.update(patient)  # type: ignore[arg-type]
        ds.AccessionNumber = f"W{spec.seed}{n:06d}"[-16:]
        ds.ReferringPhysicianName = rng.choice(_PHYSICIANS)
        ds.StudyInstanceUID = _uid(spec, "worklist-study", p, n)
        ds.RequestedProcedureID = f"RP{n + 1:06d}"
        ds.RequestedProcedureDescription = description
        ds.RequestedProcedureCodeSequence = [_code(f"{modality}{n % 97:03d}", description)]
        ds.RequestedProcedurePriority = "ROUTINE"
        ds.ReferencedStudySequence = []
        ds.AdmissionID = f"ADM{p:05d}"
        step = Dataset()
        step.ScheduledStationAETitle = station
        step.ScheduledStationName = station
        step.Modality = modality
        step.ScheduledProcedureStepStartDate = spec.anchor.strftime("%Y%m%d")
        step.ScheduledProcedureStepStartTime = f"{minutes // 60 % 24:02d}{minutes % 60:02d}00"
        step.ScheduledPerformingPhysicianName = rng.choice(_PHYSICIANS)
        step.ScheduledProcedureStepDescription = f"{description} {series[0]}"
        step.ScheduledProtocolCodeSequence = [_code(f"{modality}P{n % 13:02d}", series[0])]
        step.ScheduledProcedureStepID = f"SPS{n + 1:06d}"
        step.ScheduledProcedureStepStatus = "SCHEDULED"
        ds.ScheduledProcedureStepSequence = [step]
        if body_part:
            ds.RequestedProcedureComments = f"body part: {body_part}"
        items.append(ds)
    return items


# -- recipe locations: what the index stores in place of a file path -----------------------------


def location(recipe: int, position: Position) -> str:
    """The index location of a synthesized instance: ``fab:<recipe>:<p>:<s>:<se>:<i>``."""
    return RECIPE_SCHEME + ":".join(str(n) for n in (recipe, *position))


def parse_location(text: str) -> tuple[int, Position] | None:
    """The recipe and position of a ``fab:`` location, or None if *text* is a file path."""
    if not text.startswith(RECIPE_SCHEME):
        return None
    parts = text[len(RECIPE_SCHEME) :].split(":")
    if len(parts) != 5 or not all(part.isdigit() for part in parts):
        raise ValueError(f"malformed recipe location {text!r}")
    recipe, p, s, se, i = (int(part) for part in parts)
    return recipe, Position(p, s, se, i)
