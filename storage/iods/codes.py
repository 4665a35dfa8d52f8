"""The SNOMED CT codes fabricated images carry (PS3.16), written out: importing pydicom's
code dictionary takes ~60 ms, which every start of the emulator would pay for these few
(``tests/unit/test_iod_codes.py`` holds each to pydicom's dictionary)."""

from __future__ import annotations

from typing import NamedTuple


class Code(NamedTuple):
    """A coded concept: Code Value, Coding Scheme Designator, Code Meaning (PS3.3 8.8)."""

    value: str
    scheme_designator: str
    meaning: str


class SCT:
    """SNOMED CT codes by pydicom's keywords for them (``pydicom.sr.codedict.codes.SCT``)."""

    Abdomen = Code("818981001", "SCT", "Abdomen")
    AnteriorEmissiveProjection = Code(
        "399321004", "SCT", "Anterior emissive projection (qualifier value)"
    )
    AnteroPosterior = Code("399348003", "SCT", "antero-posterior")
    Breast = Code("76752008", "SCT", "Breast")
    Chest = Code("816094009", "SCT", "Chest")
    CranioCaudal = Code("399162004", "SCT", "cranio-caudal")
    EntireBody = Code("38266002", "SCT", "Entire body")
    FeetFirst = Code("102541007", "SCT", "feet-first")
    FluorodeoxyglucoseF18 = Code("35321007", "SCT", "Fluorodeoxyglucose F^18^")
    Hand = Code("85562004", "SCT", "Hand")
    Heart = Code("80891009", "SCT", "Heart")
    Knee = Code("72696002", "SCT", "Knee")
    LeftLateral = Code("399173006", "SCT", "left lateral")
    MedioLateralObliqueProjection = Code("399368009", "SCT", "medio-lateral oblique")
    PosteriorEmissiveProjection = Code(
        "399001007", "SCT", "Posterior emissive projection (qualifier value)"
    )
    PosteroAnterior = Code("272479007", "SCT", "postero-anterior")
    Recumbent = Code("102538003", "SCT", "recumbent")
    Supine = Code("40199007", "SCT", "supine")
    TechnetiumTc99mMedronate = Code("96390006", "SCT", "Technetium Tc^99m^ medronate")
    _18Fluorine = Code("77004003", "SCT", "^18^Fluorine")
    _99mTechnetium = Code("72454006", "SCT", "^99m^Technetium")
