"""The kinds of non-image object fabrication makes, by their ``--modalities`` code: the
modality and SOP class of each, and which studies get one (no import of any builder, so that
the fabrication spec can check codes cheaply)."""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.uid import (
    ComprehensiveSRStorage,
    EncapsulatedPDFStorage,
    GrayscaleSoftcopyPresentationStateStorage,
    KeyObjectSelectionDocumentStorage,
    RTDoseStorage,
    RTPlanStorage,
    RTStructureSetStorage,
    SegmentationStorage,
    TwelveLeadECGWaveformStorage,
    XRayRadiationDoseSRStorage,
)


@dataclass(frozen=True, slots=True)
class ObjectKind:
    """One kind of non-image object."""

    code: str  # as --modalities takes it
    modality: str  # (0008,0060) of its series
    sop_class: str
    series_description: str
    goes_with: frozenset[str] = frozenset()  # image modalities whose studies get one; empty: all
    needs: str | None = None  # the code of the object of the same study it references

    def applies_to(self, modality: str) -> bool:
        return not self.goes_with or modality in self.goes_with


CT = frozenset({"CT"})

KINDS: dict[str, ObjectKind] = {
    kind.code: kind
    for kind in (
        ObjectKind("DOC", "DOC", EncapsulatedPDFStorage, "REPORT PDF"),
        ObjectKind("KO", "KO", KeyObjectSelectionDocumentStorage, "KEY IMAGES"),
        # with the studies of grayscale images
        ObjectKind(
            "PR",
            "PR",
            GrayscaleSoftcopyPresentationStateStorage,
            "READER PRESENTATION",
            frozenset({"CT", "MR", "CR", "DX", "MG", "NM", "PT", "XA"}),
        ),
        # of the phantom's organs, on CT and MR volumes
        ObjectKind("SEG", "SEG", SegmentationStorage, "SEGMENTATION", frozenset({"CT", "MR"})),
        # with the studies of cardiac and cross-sectional imaging, which record or gate by one
        ObjectKind(
            "ECG",
            "ECG",
            TwelveLeadECGWaveformStorage,
            "RESTING 12-LEAD ECG",
            frozenset({"CT", "MR", "US", "XA", "NM", "PT", "ECT", "EMR"}),
        ),
        # the dose report of the studies whose X-rays it accounts for
        ObjectKind(
            "RDSR",
            "SR",
            XRayRadiationDoseSRStorage,
            "RADIATION DOSE REPORT",
            frozenset({"CT", "XA"}),
        ),
        # radiotherapy planned on a CT: contours, a plan on them, the dose of the plan
        ObjectKind("RTSTRUCT", "RTSTRUCT", RTStructureSetStorage, "RT STRUCTURES", CT),
        ObjectKind("RTPLAN", "RTPLAN", RTPlanStorage, "RT PLAN", CT, needs="RTSTRUCT"),
        ObjectKind("RTDOSE", "RTDOSE", RTDoseStorage, "RT DOSE", CT, needs="RTPLAN"),
        # Comprehensive SR, or Enhanced SR (drawn per study from the seed)
        ObjectKind("SR", "SR", ComprehensiveSRStorage, "MEASUREMENT REPORT"),
    )
}
