"""Deterministic synthetic studies: patients, studies, series and instances from a seed.

Every entity draws from its own random stream, seeded from the specification's seed and the
entity's position (``random.Random`` seeded with a string is the same on every machine), so any
single instance can be rebuilt on its own, byte for byte. UIDs are ``2.25.`` UUID-derived
(PS3.5 B.2) from a name-based UUID of the seed and the entity's path.

Modalities so far: CT and MR (PS3.3 A.3, A.4: a phantom of ellipses with tissue-like values
forming a coherent volume across a series), CR (A.2: a chest-like projection) and Secondary
Capture (A.8.1: an 8-bit screen-like image), each with every mandatory module of its IOD.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    ComputedRadiographyImageStorage,
    CTImageStorage,
    ExplicitVRLittleEndian,
    MRImageStorage,
    SecondaryCaptureImageStorage,
)

MODALITIES = ("CT", "MR", "CR", "SC")
SOP_CLASSES = {
    "CT": CTImageStorage,
    "MR": MRImageStorage,
    "CR": ComputedRadiographyImageStorage,
    "SC": SecondaryCaptureImageStorage,
}
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
]
_GIVEN = {
    "F": ["ANNA", "MARIA", "SOFIA", "LINH", "CHIARA", "EWA", "AMARA", "INGRID"],
    "M": ["JOHN", "LUCAS", "MATEO", "MINH", "MARCO", "PIOTR", "CHIDI", "ERIK"],
}
_PHYSICIANS = ["HOUSE^GREGORY", "GREY^MEREDITH", "ROSS^DOUG", "QUINCY^MICHAELA"]
_PAIRED = frozenset({"KNEE", "HAND"})
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
    "SC": [("CHEST", "SECONDARY CAPTURE", ["SCREEN CAPTURE"])],  # e.g. a captured report
}


@dataclass(frozen=True, slots=True)
class FabricationSpec:
    """What to fabricate. ``anchor`` is the date study dates count back from."""

    seed: int = 1
    patients: int = 3
    studies_per_patient: int = 1
    series_per_study: int = 2
    instances_per_series: int = 5
    modalities: tuple[str, ...] = MODALITIES
    matrix: int = 64
    anchor: dt.date = field(default_factory=dt.date.today)
    window_days: int = 365


def _rng(spec: FabricationSpec, *path: object) -> random.Random:
    return random.Random(":".join(str(p) for p in (spec.seed, *path)))


_UID_NAMESPACE = uuid.UUID("5b0e6e7c-3f0a-4d1c-9a3e-0f6a1f2b7c11")  # this project's


def _uid(spec: FabricationSpec, *path: object) -> str:
    """A UUID-derived UID (PS3.5 B.2: ``2.25.`` + the UUID as an integer), name-based
    (UUID version 5) on the seed and the entity's path, so it is the same on every run."""
    name = ":".join(str(part) for part in (spec.seed, *path))
    return f"2.25.{uuid.uuid5(_UID_NAMESPACE, name).int}"


def _patient(spec: FabricationSpec, p: int) -> dict[str, str]:
    rng = _rng(spec, "patient", p)
    sex = rng.choice("FM")
    age = rng.randint(1, 95)
    birth = spec.anchor - dt.timedelta(days=age * 365 + rng.randint(0, 364))
    return {
        "PatientName": f"{rng.choice(_FAMILY)}^{rng.choice(_GIVEN[sex])}",
        "PatientID": f"FAB{spec.seed}-{p:05d}",
        "PatientBirthDate": birth.strftime("%Y%m%d"),
        "PatientSex": sex,
        "PatientAge": f"{age:03d}Y",
    }


def _study(spec: FabricationSpec, p: int, s: int) -> dict[str, object]:
    rng = _rng(spec, "study", p, s)
    modality = spec.modalities[(p + s) % len(spec.modalities)]
    body_part, description, series = rng.choice(_PROTOCOLS[modality])
    when = spec.anchor - dt.timedelta(days=rng.randint(0, spec.window_days))
    return {
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
    }


def radiograph(matrix: int, seed: int) -> np.ndarray:
    """A chest-radiograph-like projection: a bright body, darker lungs, a bright spine."""
    y, x = np.mgrid[-1 : 1 : matrix * 1j, -1 : 1 : matrix * 1j]
    image = np.full((matrix, matrix), 300.0)
    image[(x / 0.9) ** 2 + (y / 1.1) ** 2 <= 1] = 2600
    for cx in (-0.4, 0.4):
        image[((x - cx) / 0.3) ** 2 + ((y + 0.1) / 0.6) ** 2 <= 1] = 1100
    image[np.abs(x) < 0.08] = 3400
    noise = np.random.default_rng(seed).normal(0, 10, image.shape)
    return np.clip(image + noise, 0, 4095).astype(np.uint16)


def phantom(matrix: int, position: float, modality: str, seed: int) -> np.ndarray:
    """A head/body-like phantom slice: ellipses of tissue-like values that shrink towards
    the ends of the volume (*position* in -1..1), with a little seeded noise."""
    y, x = np.mgrid[-1 : 1 : matrix * 1j, -1 : 1 : matrix * 1j]
    scale = np.sqrt(max(1e-3, 1.0 - 0.8 * position * position))
    if modality == "CT":  # stored = HU + 1024
        background, shell, body, organ, lesion = 0, 1024 + 700, 1024 + 40, 1024 + 60, 1024 + 120
    else:
        background, shell, body, organ, lesion = 0, 300, 900, 1400, 2200
    image = np.full((matrix, matrix), background, dtype=np.float64)
    for cx, cy, ax, ay, value in [
        (0.0, 0.0, 0.85, 0.95, shell),
        (0.0, 0.0, 0.78, 0.88, body),
        (-0.3, 0.1, 0.25, 0.35, organ),
        (0.3, 0.1, 0.25, 0.35, organ),
        (0.1, -0.4, 0.08, 0.08, lesion),
    ]:
        inside = ((x - cx) / (ax * scale)) ** 2 + ((y - cy) / (ay * scale)) ** 2 <= 1
        image[inside] = value
    noise = np.random.default_rng(seed).normal(0, 6, image.shape)
    return np.clip(image + noise, 0, 4095).astype(np.uint16)


def _common(
    spec: FabricationSpec,
    patient: dict[str, str],
    study: dict[str, object],
    p: int,
    s: int,
    se: int,
    i: int,
) -> Dataset:
    """Patient, General Study, General Series, General Equipment, General Image and SOP
    Common modules, shared by every IOD here."""
    modality = str(study["modality"])
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.update(patient)  # type: ignore[arg-type]
    for key in (
        "StudyDate",
        "StudyTime",
        "AccessionNumber",
        "StudyID",
        "StudyDescription",
        "ReferringPhysicianName",
    ):
        setattr(ds, key, study[key])
    ds.StudyInstanceUID = study["uid"]
    series_names = list(study["series"])  # type: ignore[call-overload]
    ds.SeriesInstanceUID = _uid(spec, "series", p, s, se)
    ds.SeriesNumber = se + 1
    ds.SeriesDescription = series_names[se % len(series_names)]
    ds.ProtocolName = str(study["StudyDescription"])
    ds.Modality = "OT" if modality == "SC" else modality
    if study["body_part"]:
        ds.BodyPartExamined = study["body_part"]
    if study["laterality"]:  # Type 2C: present for paired body parts (PS3.3 C.7.3.1)
        ds.Laterality = study["laterality"]
    ds.SeriesDate, ds.SeriesTime = ds.StudyDate, ds.StudyTime
    ds.Manufacturer = MANUFACTURER
    ds.ManufacturerModelName = "Fabricator " + modality
    ds.InstitutionName = "Fabricated General Hospital"
    ds.StationName = f"{modality}01"
    ds.SoftwareVersions = "0.1"
    ds.SOPClassUID = SOP_CLASSES[modality]
    ds.SOPInstanceUID = _uid(spec, "instance", p, s, se, i)
    ds.InstanceNumber = i + 1
    ds.ContentDate, ds.ContentTime = ds.StudyDate, ds.StudyTime
    ds.InstanceCreationDate, ds.InstanceCreationTime = ds.StudyDate, ds.StudyTime
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = spec.matrix
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    return ds


def _volume_slice(
    ds: Dataset, spec: FabricationSpec, study: dict[str, object], i: int, seed: int
) -> None:
    """CT and MR: Frame of Reference, Image Plane and the CT or MR Image module."""
    modality = ds.Modality
    n = spec.instances_per_series
    position = (2 * i / max(1, n - 1) - 1) if n > 1 else 0.0
    thickness = 5.0 if modality == "CT" else 4.0
    ds.PatientPosition = "HFS"  # Type 2C for CT and MR (PS3.3 C.7.3.1)
    ds.FrameOfReferenceUID = study["frame_of_reference"]
    ds.PositionReferenceIndicator = ""
    ds.AcquisitionNumber = 1
    # Value 3: AXIAL is a CT defined term (PS3.3 C.8.2.1.1.1); MR has none that fits better
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL" if modality == "CT" else "OTHER"]
    z = position * thickness * n / 2
    ds.ImagePositionPatient = [-125.0, -125.0, round(z, 3)]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [round(250 / spec.matrix, 4)] * 2
    ds.SliceThickness = thickness
    ds.SliceLocation = round(z, 3)
    if modality == "CT":
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
        ds.KVP = 120
        ds.WindowCenter, ds.WindowWidth = 40, 400
    else:
        ds.ScanningSequence, ds.SequenceVariant = "SE", "NONE"
        ds.ScanOptions, ds.MRAcquisitionType = "", "2D"
        ds.RepetitionTime, ds.EchoTime, ds.EchoTrainLength = 500, 15, 1
        ds.MagneticFieldStrength = 1.5
        ds.WindowCenter, ds.WindowWidth = 1200, 2400
    ds.PixelData = phantom(spec.matrix, position, modality, seed).tobytes()


_VIEWS = {"PA": "PA", "AP": "AP", "LATERAL": "LL"}


def _radiograph(ds: Dataset, spec: FabricationSpec, seed: int) -> None:
    """CR: CR Series and CR Image modules, and a projection-like image."""
    ds.ViewPosition = _VIEWS.get(ds.SeriesDescription, "")  # Type 2 (PS3.3 C.8.1.1)
    ds.PatientOrientation = ["L", "F"]  # Type 2C: no Image Plane module (C.7.6.1)
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.KVP = 110
    ds.ImagerPixelSpacing = [round(350 / spec.matrix, 4)] * 2
    ds.WindowCenter, ds.WindowWidth = 2048, 4096
    ds.PixelData = radiograph(spec.matrix, seed).tobytes()


def _secondary_capture(ds: Dataset, spec: FabricationSpec, seed: int) -> None:
    """SC: SC Equipment (conversion type) and an 8-bit screen-like image."""
    ds.ConversionType = "WSD"  # workstation (PS3.3 C.8.6.1)
    ds.PatientOrientation = ""  # Type 2C: no Image Plane module (C.7.6.1)
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    y, x = np.mgrid[0 : spec.matrix, 0 : spec.matrix]
    image = (x * 255 // max(1, spec.matrix - 1)).astype(np.uint8)
    image[(y // 8) % 4 == 0] = 255 - image[(y // 8) % 4 == 0]  # bands, like lines of text
    image[: spec.matrix // 8] = seed % 64  # a header bar
    ds.PixelData = image.tobytes()


def _instance(
    spec: FabricationSpec,
    patient: dict[str, str],
    study: dict[str, object],
    p: int,
    s: int,
    se: int,
    i: int,
) -> Dataset:
    ds = _common(spec, patient, study, p, s, se, i)
    seed = _rng(spec, "pixels", p, s, se, i).getrandbits(32)
    modality = str(study["modality"])
    if modality in ("CT", "MR"):
        _volume_slice(ds, spec, study, i, seed)
    elif modality == "CR":
        _radiograph(ds, spec, seed)
    else:
        _secondary_capture(ds, spec, seed)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def fabricate(spec: FabricationSpec) -> Iterator[Dataset]:
    """Every instance *spec* describes, in order (patients, studies, series, instances)."""
    for modality in spec.modalities:
        if modality not in MODALITIES:
            raise ValueError(f"modality {modality!r} is not one of {', '.join(MODALITIES)}")
    for p in range(spec.patients):
        patient = _patient(spec, p)
        for s in range(spec.studies_per_patient):
            study = _study(spec, p, s)
            for se in range(spec.series_per_study):
                for i in range(spec.instances_per_series):
                    yield _instance(spec, patient, study, p, s, se, i)
