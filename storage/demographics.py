"""Who and what fabricated studies are about: patients' names from several cultures, birth
dates and ages that fit, and studies with accession numbers, dates in the window, physicians,
and the protocols (body part, descriptions) that fit each modality. Each entity draws from
its own random stream (``storage.fabrication_spec``), so any one is rebuilt alone."""

from __future__ import annotations

import datetime as dt

from storage import edge_cases
from storage.fabrication_spec import (
    FabricationSpec,
    case_of,
    entity_rng,
    entity_uid,
    study_modality,
)
from storage.iods.enhanced import BASE as ENHANCED

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


def study_attributes(spec: FabricationSpec, p: int, s: int) -> dict[str, object]:
    rng = entity_rng(spec, "study", p, s)
    modality = study_modality(spec, p, s)
    body_part, description, series = rng.choice(PROTOCOLS[ENHANCED.get(modality, modality)])
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
        edge_cases.study(values, case, rng)
    return values


STUDY_KEYS = (
    "StudyDate",
    "StudyTime",
    "AccessionNumber",
    "StudyID",
    "StudyDescription",
    "ReferringPhysicianName",
    "OperatorsName",
    "PerformingPhysicianName",
)
