"""What to fabricate: the specification of a set of synthetic studies and the positions of its
instances (an index location names a recipe and a position: ``storage.locations``).

A specification and a position rebuild any single instance on its own (``storage.fabricate``):
every entity draws from its own random stream, seeded from the specification's seed and the
entity's path (``random.Random`` seeded with a string is the same on every machine), and UIDs
are ``2.25.`` UUID-derived (PS3.5 B.2) from a name-based UUID of the seed and that path.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields

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

from storage import edge_cases, torture
from storage.iods import IODS
from storage.iods.enhanced import BASE as ENHANCED
from storage.locations import Position
from storage.objects.kinds import KINDS

MODALITIES = tuple(m for m in IODS if m not in ENHANCED)  # the default: the classic images
IMAGE_CODES = tuple(IODS)  # every image code, Enhanced CT and MR (ECT, EMR) too
ENHANCED_OF = {classic: code for code, classic in ENHANCED.items()}  # CT: ECT (--enhanced)
OBJECTS = tuple(KINDS)  # non-image objects that go with a study's images
# edge-cases and character-sets: see storage.edge_cases; viewer-torture: storage.torture
PROFILES = ("standard", "edge-cases", "character-sets", "viewer-torture")

# Transfer syntaxes a fabricated series can be in, by the names the CLI takes.
TRANSFER_SYNTAXES = {
    "explicit": ExplicitVRLittleEndian,
    "implicit": ImplicitVRLittleEndian,
    "deflated": DeflatedExplicitVRLittleEndian,
    "rle": RLELossless,
    "jpeg-ls": JPEGLSLossless,  # needs pyjpegls
    "jpeg2000": JPEG2000Lossless,  # needs pylibjpeg and pylibjpeg-openjpeg
}
COMPRESSED = frozenset({RLELossless, JPEGLSLossless, JPEG2000Lossless})


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
            if modality not in IODS and modality not in KINDS:
                known = ", ".join((*IODS, *KINDS))
                raise ValueError(f"modality {modality!r} is not one of {known}")
        if not self.image_modalities:
            raise ValueError(
                f"{', '.join(self.object_codes)} go with the images of a study: give an image"
                " modality too, such as CT,MR," + ",".join(self.object_codes)
            )
        for code in self.object_codes:
            needs = KINDS[code].needs
            if needs is not None and needs not in self.object_codes:
                raise ValueError(
                    f"{code} references the {needs} of its study: add {needs} to the"
                    f" modalities (such as CT,RTSTRUCT,RTPLAN,RTDOSE)"
                )
        if self.profile not in PROFILES:
            raise ValueError(f"profile {self.profile!r} is not one of {', '.join(PROFILES)}")
        if not self.transfer_syntaxes:
            raise ValueError("transfer_syntaxes must name at least one")
        for syntax in self.transfer_syntaxes:
            if syntax not in TRANSFER_SYNTAXES.values():
                known = ", ".join(TRANSFER_SYNTAXES)
                raise ValueError(f"transfer syntax {syntax!r} is not one of {known}")

    @property
    def image_modalities(self) -> tuple[str, ...]:
        """The image modalities of ``modalities`` (the studies are of these, in turn)."""
        return tuple(m for m in self.modalities if m in IODS)

    @property
    def object_codes(self) -> tuple[str, ...]:
        """The non-image objects of ``modalities`` (each study gets those that go with it)."""
        return tuple(m for m in self.modalities if m in KINDS)

    def missing_encoders(self) -> list[str]:
        """What to install for the compressed syntaxes this spec names (empty: nothing)."""
        missing = []
        for syntax in self.transfer_syntaxes:
            if syntax in COMPRESSED:
                encoder = get_encoder(syntax)
                if not encoder.is_available:
                    needs = "; ".join(encoder.missing_dependencies)
                    missing.append(f"{UID(syntax).name} needs {needs}")
        if self.profile == "viewer-torture":
            for case in torture.CASES[: self.patients]:
                lacking = torture.missing_encoder(case)
                if lacking and lacking not in missing:
                    missing.append(lacking)
        return missing

    @property
    def total(self) -> int:
        """How many instances the spec describes."""
        return sum(
            instances_in(self, p, s, se)
            for p in range(self.patients)
            for s in range(self.studies_per_patient)
            for se in range(series_in(self, p, s))
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


def scanner_modality(code: str) -> str:
    """The modality a fabrication code's images come from, as a worklist schedules it (ECT:
    CT, EMR: MR; every other code is its own)."""
    return ENHANCED.get(code, code)


def case_of(spec: FabricationSpec, p: int) -> edge_cases.Case | None:
    if spec.profile == "edge-cases":
        return edge_cases.case(p)
    if spec.profile == "character-sets":
        return edge_cases.case(p, edge_cases.CHARSET_CASES)
    if spec.profile == "viewer-torture":
        return edge_cases.case(p, edge_cases.TORTURE_CASES)
    return None


def study_uids(spec: FabricationSpec) -> Iterator[str]:
    """The Study Instance UIDs *spec* makes, in order, without building any instance."""
    for p in range(spec.patients):
        for s in range(spec.studies_per_patient):
            yield entity_uid(spec, "study", p, s)


def study_modality(spec: FabricationSpec, p: int, s: int) -> str:
    """The image modality of study (*p*, *s*): each of the spec's in turn (or the one its
    viewer-torture case needs)."""
    case = case_of(spec, p)
    if case is not None and case.modality is not None:
        return case.modality
    images = spec.image_modalities
    return images[(p + s) % len(images)]


def objects_in(spec: FabricationSpec, p: int, s: int) -> tuple[str, ...]:
    """The non-image objects study (*p*, *s*) gets, in order: one series each, after its
    image series."""
    if not spec.object_codes:
        return ()
    modality = study_modality(spec, p, s)
    return tuple(code for code in spec.object_codes if KINDS[code].applies_to(modality))


def series_in(spec: FabricationSpec, p: int, s: int) -> int:
    """How many series study (*p*, *s*) has: its image series, then one per object."""
    return spec.series_per_study + len(objects_in(spec, p, s))


def object_at(spec: FabricationSpec, p: int, s: int, se: int) -> str | None:
    """The code of the non-image object whose series is (*p*, *s*, *se*); None for images."""
    if se < spec.series_per_study:
        return None
    return objects_in(spec, p, s)[se - spec.series_per_study]


def instances_in(spec: FabricationSpec, p: int, s: int, se: int) -> int:
    """How many instances the series at (*p*, *s*, *se*) has."""
    if se >= spec.series_per_study:
        return 1  # a non-image object
    if study_modality(spec, p, s) in ENHANCED:
        return 1  # the volume in one multi-frame instance
    case = case_of(spec, p)
    if case is not None and case.first_series_instances and (s, se) == (0, 0):
        return case.first_series_instances
    return spec.instances_per_series


def positions(spec: FabricationSpec) -> Iterator[Position]:
    """Every position *spec* describes, in order."""
    for p in range(spec.patients):
        for s in range(spec.studies_per_patient):
            for se in range(series_in(spec, p, s)):
                for i in range(instances_in(spec, p, s, se)):
                    yield Position(p, s, se, i)


def entity_rng(spec: FabricationSpec, *path: object) -> random.Random:
    return random.Random(":".join(str(p) for p in (spec.seed, *path)))


_UID_NAMESPACE = uuid.UUID("5b0e6e7c-3f0a-4d1c-9a3e-0f6a1f2b7c11")  # this project's


def entity_uid(spec: FabricationSpec, *path: object) -> str:
    """A UUID-derived UID (PS3.5 B.2: ``2.25.`` + the UUID as an integer), name-based
    (UUID version 5) on the seed and the entity's path, so it is the same on every run."""
    name = ":".join(str(part) for part in (spec.seed, *path))
    uid = f"2.25.{uuid.uuid5(_UID_NAMESPACE, name).int}"
    case = case_of(spec, int(str(path[1])))  # every entity's path is (kind, patient, ...)
    return edge_cases.long_uid(uid) if case is not None and case.long_uids else uid
