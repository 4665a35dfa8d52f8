"""Deterministic synthetic studies: patients, studies, series and instances from a seed.

Every entity draws from its own random stream, seeded from the specification's seed and the
entity's position (``random.Random`` seeded with a string is the same on every machine), so any
single instance can be rebuilt on its own, byte for byte: this is what lets the index hold only a
recipe (the specification and the instance's position) and synthesize the instance on demand.
UIDs are ``2.25.`` UUID-derived (PS3.5 B.2) from a name-based UUID of the seed and the entity's
path, so they depend on the seed alone; dates count back from the specification's anchor.

What to fabricate (the specification, positions, locations) is ``storage.fabrication_spec``;
worklist items for the fabricated patients ``storage.fabricated_worklist``; modalities and
their IOD modules ``storage.iods``; pixel data ``storage.pixels``.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from functools import lru_cache
from io import BytesIO

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_dataset
from pydicom.filewriter import write_dataset
from pydicom.uid import (
    UID,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from storage import edge_cases
from storage.attributes import BY_KEYWORD, Level
from storage.fabrication_spec import (
    COMPRESSED,
    FabricationSpec,
    Position,
    case_of,
    entity_rng,
    entity_uid,
    instances_in,
    object_at,
    positions,
    series_in,
    study_modality,
)
from storage.iods import IODS, Series
from storage.objects import BUILDERS, ImageSeries, StudyContext
from storage.records import InstanceRecord, attribute_columns, level_columns

MANUFACTURER = "DICOM Fabricator"

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
PHYSICIANS = ["HOUSE^GREGORY", "GREY^MEREDITH", "ROSS^DOUG", "QUINCY^MICHAELA", "YANG^CRISTINA"]
_OPERATORS = ["TECH^ALEX", "TECH^SAM", "TECH^ROBIN"]
_PAIRED = frozenset({"KNEE", "HAND", "BREAST"})
PROTOCOLS = {  # modality → (body part, study description, series descriptions)
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


def patient_attributes(spec: FabricationSpec, p: int) -> dict[str, str]:
    rng = entity_rng(spec, "patient", p)
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
    case = case_of(spec, p)
    if case is not None:
        edge_cases.patient(rng, values, case)
    return values


def _study(spec: FabricationSpec, p: int, s: int) -> dict[str, object]:
    rng = entity_rng(spec, "study", p, s)
    modality = study_modality(spec, p, s)
    body_part, description, series = rng.choice(PROTOCOLS[modality])
    when = spec.anchor - dt.timedelta(days=rng.randint(0, spec.window_days))
    values: dict[str, object] = {
        "uid": entity_uid(spec, "study", p, s),
        "modality": modality,
        "body_part": body_part,
        "laterality": rng.choice("LR") if body_part in _PAIRED else "",
        "series": series,
        "frame_of_reference": entity_uid(spec, "for", p, s),
        "StudyDate": when.strftime("%Y%m%d"),
        "StudyTime": f"{rng.randint(7, 19):02d}{rng.randint(0, 59):02d}{rng.randint(0, 59):02d}",
        "AccessionNumber": f"A{spec.seed}{p:05d}{s:02d}",
        "StudyID": str(s + 1),
        "StudyDescription": description,
        "ReferringPhysicianName": rng.choice(PHYSICIANS),
        "OperatorsName": rng.choice(_OPERATORS),
        "PerformingPhysicianName": rng.choice(PHYSICIANS),
    }
    case = case_of(spec, p)
    if case is not None:
        edge_cases.study(values, case)
    return values


def _series_ordinal(spec: FabricationSpec, p: int, s: int, se: int) -> int:
    return (p * spec.studies_per_patient + s) * spec.series_per_study + se


def transfer_syntax(spec: FabricationSpec, position: Position) -> UID:
    """The transfer syntax of the series at *position* (a non-image object: explicit VR)."""
    if position.series >= spec.series_per_study:
        return ExplicitVRLittleEndian
    n = _series_ordinal(spec, position.patient, position.study, position.series)
    return UID(spec.transfer_syntaxes[n % len(spec.transfer_syntaxes)])


@lru_cache(maxsize=256)
def _series_header(spec: FabricationSpec, p: int, s: int, se: int) -> tuple[Series, Dataset]:
    """Every attribute the instances of one series share (no pixel data).

    Patient, General Study, Patient Study, General Series, General Equipment, the series-wide
    part of General Image and SOP Common, and the modality's own modules (``storage.iods``).
    """
    patient, study = patient_attributes(spec, p), _study(spec, p, s)
    modality = str(study["modality"])
    iod = IODS[modality]
    names = list(study["series"])  # type: ignore[call-overload]
    description = names[se % len(names)]
    laterality = str(study["laterality"])
    if modality == "MG":  # each view names its breast
        laterality = description.split()[0]
    case = case_of(spec, p)
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
    ds.SeriesInstanceUID = entity_uid(spec, "series", p, s, se)
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
        edge_cases.series(ds, entity_rng(spec, "edge", p, s, se), case)
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


@lru_cache(maxsize=64)
def _object(spec: FabricationSpec, p: int, s: int, se: int) -> Dataset:
    """The non-image object of series (*p*, *s*, *se*), whole (never mutated: copied out)."""
    code = object_at(spec, p, s, se)
    assert code is not None

    def image_series(n: int) -> ImageSeries:
        return ImageSeries(
            _series_header(spec, p, s, n)[1],
            instances_in(spec, p, s, n),
            lambda i: instance_header(spec, Position(p, s, n, i)),
        )

    images = tuple(image_series(n) for n in range(spec.series_per_study))
    first = images[0].header
    context = StudyContext(
        code=code,
        study=first,
        images=images,
        series_uid=entity_uid(spec, "series", p, s, se),
        instance_uid=entity_uid(spec, "instance", p, s, se, 0),
        series_number=se + 1,
        date=str(first.StudyDate),
        time=str(first.StudyTime),
        rng=entity_rng(spec, "object", p, s, se),
        manufacturer=MANUFACTURER,
    )
    return BUILDERS[code](context)


_BULK = ("EncapsulatedDocument", "WaveformSequence", "PixelData")  # not in a header


def _object_copy(spec: FabricationSpec, position: Position, header: bool) -> Dataset:
    """A copy of the object at *position* (a caller may change it), *header*: its bulk data
    left out."""
    ds = copy.deepcopy(_object(spec, *position[:3]))
    for keyword in _BULK if header else ():
        if keyword in ds:
            del ds[keyword]
    return ds


def instance_header(spec: FabricationSpec, position: Position) -> Dataset:
    """The instance at *position* without its pixel data (what C-FIND return keys need)."""
    p, s, se, i = position
    if se >= spec.series_per_study:
        return _object_copy(spec, position, header=True)
    series, shared = _series_header(spec, p, s, se)
    # A new dataset over the same (never mutated) elements: cheaper than building them again.
    ds = Dataset(dict(shared.items()))
    implicit, little = shared.original_encoding
    ds.set_original_encoding(implicit, little, shared.original_character_set)  # raw: as is
    ds.SOPInstanceUID = entity_uid(spec, "instance", p, s, se, i)
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
    if se >= spec.series_per_study:
        ds = _object_copy(spec, position, header=False)
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        return ds
    ds = instance_header(spec, position)
    series, _ = _series_header(spec, p, s, se)
    seed = entity_rng(spec, "pixels", p, s, se, i).getrandbits(32)
    IODS[series.modality].pixels(ds, series, i, seed)
    ds["PixelData"].VR = "OW" if ds.BitsAllocated > 8 else "OB"  # PS3.5 §8.2 (native)
    if len(ds.PixelData) % 2:  # odd rows x columns of 8-bit pixels: pad to even (PS3.5 §8.1.1)
        ds.PixelData += b"\x00"
    syntax = transfer_syntax(spec, position)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    if syntax in COMPRESSED:
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
            for se in range(series_in(spec, p, s)):
                first = instance_header(spec, Position(p, s, se, 0))
                columns = {level: level_columns(first, level) for level in Level}
                syntax = transfer_syntax(spec, Position(p, s, se, 0))
                for i in range(instances_in(spec, p, s, se)):
                    uid = entity_uid(spec, "instance", p, s, se, i)
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
