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

from storage import edge_cases, torture
from storage.attributes import BY_KEYWORD, Level
from storage.demographics import STUDY_KEYS, patient_attributes, study_attributes
from storage.fabrication_spec import (
    COMPRESSED,
    FabricationSpec,
    Position,
    case_of,
    entity_rng,
    entity_uid,
    instances_in,
    object_at,
    objects_in,
    positions,
    series_in,
    study_modality,
)
from storage.iods import IODS, Series
from storage.iods.enhanced import BASE as ENHANCED
from storage.objects import BUILDERS, ImageSeries, StudyContext
from storage.records import InstanceRecord, attribute_columns, level_columns

MANUFACTURER = "DICOM Fabricator"


def _series_ordinal(spec: FabricationSpec, p: int, s: int, se: int) -> int:
    return (p * spec.studies_per_patient + s) * spec.series_per_study + se


def transfer_syntax(spec: FabricationSpec, position: Position) -> UID:
    """The transfer syntax of the series at *position* (a non-image object: explicit VR)."""
    if position.series >= spec.series_per_study:
        return ExplicitVRLittleEndian
    case = case_of(spec, position.patient)
    if case is not None and case.name in torture.SYNTAX:
        return UID(torture.SYNTAX[case.name])
    n = _series_ordinal(spec, position.patient, position.study, position.series)
    return UID(spec.transfer_syntaxes[n % len(spec.transfer_syntaxes)])


def _matrix(spec: FabricationSpec, p: int, modality: str) -> tuple[int, int]:
    """Rows and columns of patient *p*'s images of *modality*."""
    case = case_of(spec, p)
    if case is not None and case.rows_columns:
        return case.rows_columns
    iod = IODS[modality]
    return spec.matrix or iod.rows, spec.matrix or iod.columns


@lru_cache(maxsize=256)
def _series_header(spec: FabricationSpec, p: int, s: int, se: int) -> tuple[Series, Dataset]:
    """Every attribute the instances of one series share, pre-encoded in the series' transfer
    syntax (see :func:`_series_dataset`)."""
    series, ds = _series_dataset(spec, p, s, se)
    return series, _preencoded(ds, transfer_syntax(spec, Position(p, s, se, 0)))


@lru_cache(maxsize=64)
def _series_dataset(spec: FabricationSpec, p: int, s: int, se: int) -> tuple[Series, Dataset]:
    """Every attribute the instances of one series share (no pixel data; never changed).

    Patient, General Study, Patient Study, General Series, General Equipment, the series-wide
    part of General Image and SOP Common, and the modality's own modules (``storage.iods``).
    """
    study = study_attributes(spec, p, s)
    modality = str(study["modality"])
    iod = IODS[modality]
    names = list(study["series"])  # type: ignore[call-overload]
    description = names[se % len(names)]
    laterality = str(study["laterality"])
    if modality == "MG":  # each view names its breast
        laterality = description.split()[0]
    case = case_of(spec, p)
    rows, columns = _matrix(spec, p, modality)
    series = Series(
        modality=modality,
        rows=rows,
        columns=columns,
        instances=instances_in(spec, p, s, se),
        frames=(
            spec.instances_per_series  # a slice a frame
            if modality in ENHANCED
            else case.frames
            if case is not None and case.frames
            else iod.frames
        ),
        description=description,
        body_part=str(study["body_part"]),
        laterality=laterality,
        frame_of_reference=str(study["frame_of_reference"]),
        date=str(study["StudyDate"]),
        time=str(study["StudyTime"]),
    )
    ds = _study_header(spec, p, study)
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
    return series, ds


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


def _study_header(spec: FabricationSpec, p: int, study: dict[str, object]) -> Dataset:
    """The patient and study attributes of patient *p*'s *study* (``study_attributes``), as
    its images carry them."""
    ds = Dataset()
    ds.update(patient_attributes(spec, p))  # type: ignore[arg-type]
    for key in STUDY_KEYS:
        setattr(ds, key, study[key])
    ds.StudyInstanceUID = study["uid"]
    return ds


def object_context(
    spec: FabricationSpec, p: int, s: int, se: int, header_only: bool = False
) -> StudyContext:
    """What the builder of the non-image object of series (*p*, *s*, *se*) is given
    (*header_only*: for its index record)."""
    code = object_at(spec, p, s, se)
    assert code is not None

    study = _study(spec, p, s)

    def image_series(n: int) -> ImageSeries:
        return ImageSeries(
            instances_in(spec, p, s, n),
            lambda i: _reference(spec, Position(p, s, n, i)),
            lambda: _series_dataset(spec, p, s, n)[1],
            lambda i: _slice_header(spec, Position(p, s, n, i)),
        )

    return StudyContext(
        code=code,
        study=study,
        images=tuple(image_series(n) for n in range(spec.series_per_study)),
        series_uid=entity_uid(spec, "series", p, s, se),
        instance_uid=entity_uid(spec, "instance", p, s, se, 0),
        series_number=se + 1,
        date=str(study.StudyDate),
        time=str(study.StudyTime),
        rng=entity_rng(spec, "object", p, s, se),
        manufacturer=MANUFACTURER,
        peers={
            other: entity_uid(spec, "instance", p, s, spec.series_per_study + n, 0)
            for n, other in enumerate(objects_in(spec, p, s))
        },
        header_only=header_only,
    )


# An object's images are read by the study's other objects too (a structure set, its plan
# and its dose all read every slice): made once (read only), the newest few thousand kept.


@lru_cache(maxsize=256)
def _study(spec: FabricationSpec, p: int, s: int) -> Dataset:
    """The patient and study attributes of study (*p*, *s*), as its objects read them (read
    only)."""
    return _study_header(spec, p, study_attributes(spec, p, s))


@lru_cache(maxsize=2048)
def _reference(spec: FabricationSpec, position: Position) -> Dataset:
    """What an object needs of an image it references: the study's attributes and the
    image's identity, size and body part (no series header is built)."""
    p, s, n, i = position
    study = _study(spec, p, s)
    modality = study_modality(spec, p, s)
    iod = IODS[modality]
    rows, columns = _matrix(spec, p, modality)
    ds = Dataset(dict(study.items()))  # the study's elements, shared (never changed)
    ds.add_new(0x00080060, "CS", iod.modality)  # Modality
    ds.add_new(0x00080016, "UI", iod.sop_class)  # SOP Class UID
    ds.add_new(0x0020000E, "UI", entity_uid(spec, "series", p, s, n))  # Series Instance UID
    ds.add_new(0x00080018, "UI", entity_uid(spec, "instance", p, s, n, i))  # SOP Instance UID
    ds.add_new(0x00280010, "US", rows)  # Rows
    ds.add_new(0x00280011, "US", columns)  # Columns
    body_part = str(study_attributes(spec, p, s)["body_part"])
    if body_part:
        ds.add_new(0x00180015, "CS", body_part)  # Body Part Examined
    if modality in ENHANCED:  # the volume in one instance, a frame a slice
        ds.add_new(0x00280008, "IS", spec.instances_per_series)  # Number of Frames
    return ds


@lru_cache(maxsize=2048)
def _slice_header(spec: FabricationSpec, position: Position) -> Dataset:
    """The header of the image at *position* as a builder reads it: the series' shared
    attributes and the image's own (its slice position), without pre-encoding the series."""
    series, shared = _series_dataset(spec, *position[:3])
    ds = Dataset(dict(shared.items()))  # shared elements, never changed; its own are new
    ds.SOPInstanceUID = entity_uid(spec, "instance", *position)
    ds.InstanceNumber = position.instance + 1
    IODS[series.modality].instance(ds, series, position.instance)
    return ds


@lru_cache(maxsize=256)
def _object(spec: FabricationSpec, p: int, s: int, se: int) -> Dataset:
    """The non-image object of series (*p*, *s*, *se*), built once (never changed: callers
    get copies)."""
    context = object_context(spec, p, s, se)
    return BUILDERS[context.code](context)


_BULK = ("EncapsulatedDocument", "WaveformSequence", "PixelData")  # not in a header


def _object_copy(spec: FabricationSpec, position: Position, header: bool) -> Dataset:
    """The object at *position* as a dataset of its own, its top-level elements copied (a
    caller may set them; nested items are shared, and nothing changes those); *header*: its
    bulk data left out, else with its File Meta Information."""
    whole = _object(spec, *position[:3])
    # raw elements (a report's content tree) stay raw: written as they are, read if asked
    ds = Dataset({tag: copy.copy(whole.get_item(tag)) for tag in whole.keys()})  # noqa: SIM118
    implicit, little = whole.original_encoding
    ds.set_original_encoding(implicit, little, whole.original_character_set)
    if header:
        for keyword in _BULK:
            if keyword in ds:
                del ds[keyword]
        return ds
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
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
        return _object_copy(spec, position, header=False)
    ds = instance_header(spec, position)
    series, _ = _series_header(spec, p, s, se)
    seed = entity_rng(spec, "pixels", p, s, se, i).getrandbits(32)
    IODS[series.modality].pixels(ds, series, i, seed)
    case = case_of(spec, p)
    if case is not None and case.name in torture.CASES:
        torture.pixels(ds, case.name, seed)
    syntax = transfer_syntax(spec, position)
    ds["PixelData"].VR = "OW" if ds.BitsAllocated > 8 else "OB"  # PS3.5 §8.2 (native)
    if len(ds.PixelData) % 2:  # odd rows x columns of 8-bit pixels: pad to even (PS3.5 §8.1.1)
        ds.PixelData += b"\x00"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    if case is not None and torture.encode(ds, case.name):
        pass  # a lossy syntax, or one pydicom has no encoder for
    elif syntax in COMPRESSED:
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


def _indexed_header(spec: FabricationSpec, position: Position) -> Dataset:
    """What the index keeps of the instance at *position*: an object built without what no
    index column reads (contours, frames, dose grids), an image's header."""
    if position.series >= spec.series_per_study:
        context = object_context(spec, *position[:3], header_only=True)
        return BUILDERS[context.code](context)
    return instance_header(spec, position)


def records(spec: FabricationSpec) -> Iterator[tuple[InstanceRecord, Position]]:
    """The index record of every instance *spec* describes, without drawing any pixels.

    Patient, study and series columns are computed once per series; image columns once per
    series too, except those of the keys that vary per instance (``tests`` check that these
    records equal those of the synthesized instances).
    """
    for p in range(spec.patients):
        for s in range(spec.studies_per_patient):
            for se in range(series_in(spec, p, s)):
                first = _indexed_header(spec, Position(p, s, se, 0))
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
