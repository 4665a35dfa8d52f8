"""Presentation contexts the emulator accepts, per service, and SOP class → query model."""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Mapping
from typing import cast

from pydicom.uid import UID, AllTransferSyntaxes
from pynetdicom import AllStoragePresentationContexts
from pynetdicom.ae import ApplicationEntity
from pynetdicom.presentation import PresentationContext, build_context

from storage import Model

# An archive stores what it gets: every transfer syntax pydicom knows except the SMPTE ST 2110
# ones, which describe live video streams, not stored objects. Of the syntaxes a context
# proposes, the requestor's first in this list is accepted (emulator.dicom.negotiation).
STORAGE_TRANSFER_SYNTAXES: list[str | UID] = [
    ts for ts in AllTransferSyntaxes if not ts.name.startswith("SMPTE ST 2110")
]

# PS3.4 Annex B / C SOP Class UIDs (pynetdicom.sop_class defines them dynamically).
Verification = UID("1.2.840.10008.1.1")
PatientRootQueryRetrieveInformationModelFind = UID("1.2.840.10008.5.1.4.1.2.1.1")
StudyRootQueryRetrieveInformationModelFind = UID("1.2.840.10008.5.1.4.1.2.2.1")
PatientStudyOnlyQueryRetrieveInformationModelFind = UID("1.2.840.10008.5.1.4.1.2.3.1")

RETRIEVE_CLASSES = (
    "1.2.840.10008.5.1.4.1.2.1.2",  # Patient Root MOVE
    "1.2.840.10008.5.1.4.1.2.2.2",  # Study Root MOVE
    "1.2.840.10008.5.1.4.1.2.3.2",  # Patient/Study Only MOVE
    "1.2.840.10008.5.1.4.1.2.1.3",  # Patient Root GET
    "1.2.840.10008.5.1.4.1.2.2.3",  # Study Root GET
    "1.2.840.10008.5.1.4.1.2.3.3",  # Patient/Study Only GET
)

# Retired storage SOP classes (PS3.6 Table A-1), which pynetdicom's own SCU still proposes by
# default but does not serve: an archive keeps what older modalities send. Non-patient objects
# (hanging protocols, color palettes, implant templates, defined procedure protocols,
# inventories), DICOS and DICONDE classes and the Media Storage Directory are refused: the index
# is of patients and studies.
RETIRED_STORAGE = frozenset(
    {
        "1.2.840.10008.5.1.1.27",  # Stored Print Storage SOP Class
        "1.2.840.10008.5.1.1.29",  # Hardcopy Grayscale Image Storage SOP Class
        "1.2.840.10008.5.1.1.30",  # Hardcopy Color Image Storage SOP Class
        "1.2.840.10008.5.1.4.1.1.3",  # Ultrasound Multi-frame Image Storage
        "1.2.840.10008.5.1.4.1.1.5",  # Nuclear Medicine Image Storage
        "1.2.840.10008.5.1.4.1.1.6",  # Ultrasound Image Storage
        "1.2.840.10008.5.1.4.1.1.8",  # Standalone Overlay Storage
        "1.2.840.10008.5.1.4.1.1.9",  # Standalone Curve Storage
        "1.2.840.10008.5.1.4.1.1.9.1",  # Waveform Storage - Trial
        "1.2.840.10008.5.1.4.1.1.10",  # Standalone Modality LUT Storage
        "1.2.840.10008.5.1.4.1.1.11",  # Standalone VOI LUT Storage
        "1.2.840.10008.5.1.4.1.1.12.3",  # X-Ray Angiographic Bi-Plane Image Storage
        "1.2.840.10008.5.1.4.1.1.77.1",  # VL Image Storage - Trial
        "1.2.840.10008.5.1.4.1.1.77.2",  # VL Multi-frame Image Storage - Trial
        "1.2.840.10008.5.1.4.1.1.88.1",  # Text SR Storage - Trial
        "1.2.840.10008.5.1.4.1.1.88.2",  # Audio SR Storage - Trial
        "1.2.840.10008.5.1.4.1.1.88.3",  # Detail SR Storage - Trial
        "1.2.840.10008.5.1.4.1.1.88.4",  # Comprehensive SR Storage - Trial
        "1.2.840.10008.5.1.4.1.1.129",  # Standalone PET Curve Storage
        "1.2.840.10008.5.1.4.34.1",  # RT Beams Delivery Instruction Storage - Trial
    }
)

ModalityWorklistInformationFind = UID("1.2.840.10008.5.1.4.31")  # PS3.4 K.6.1
ModalityPerformedProcedureStep = UID("1.2.840.10008.3.1.2.3.3")  # PS3.4 F.7.3
StorageCommitmentPushModel = UID("1.2.840.10008.1.20.1")  # PS3.4 J.3

FIND_MODELS: dict[str, Model] = {
    PatientRootQueryRetrieveInformationModelFind: Model.PATIENT_ROOT,
    StudyRootQueryRetrieveInformationModelFind: Model.STUDY_ROOT,
    PatientStudyOnlyQueryRetrieveInformationModelFind: Model.PATIENT_STUDY_ONLY,
}

RETRIEVE_MODELS: dict[str, Model] = {
    "1.2.840.10008.5.1.4.1.2.1.2": Model.PATIENT_ROOT,  # MOVE
    "1.2.840.10008.5.1.4.1.2.2.2": Model.STUDY_ROOT,
    "1.2.840.10008.5.1.4.1.2.3.2": Model.PATIENT_STUDY_ONLY,
    "1.2.840.10008.5.1.4.1.2.1.3": Model.PATIENT_ROOT,  # GET
    "1.2.840.10008.5.1.4.1.2.2.3": Model.STUDY_ROOT,
    "1.2.840.10008.5.1.4.1.2.3.3": Model.PATIENT_STUDY_ONLY,
}


@functools.cache
def supported_contexts() -> tuple[PresentationContext, ...]:
    """Every context the emulator accepts as an association acceptor.

    Built once per process (203 contexts, most with every storage transfer syntax) and
    shared, never changed: negotiation builds new contexts, and a ``reject_contexts`` rule
    narrows copies (``dicom.faults.narrowed``).
    """
    contexts = [build_context(Verification, STORAGE_TRANSFER_SYNTAXES[:4])]
    contexts += [build_context(uid, STORAGE_TRANSFER_SYNTAXES[:4]) for uid in FIND_MODELS]
    contexts.append(build_context(ModalityWorklistInformationFind, STORAGE_TRANSFER_SYNTAXES[:4]))
    contexts.append(build_context(ModalityPerformedProcedureStep, STORAGE_TRANSFER_SYNTAXES[:4]))
    # Storage Commitment: the requestor is SCU of N-ACTION and SCP of N-EVENT-REPORT; accept
    # whatever roles it proposes (PS3.4 J.3.3, role selection PS3.7 D.3.3.4)
    commitment = build_context(StorageCommitmentPushModel, STORAGE_TRANSFER_SYNTAXES[:4])
    commitment.scu_role = commitment.scp_role = True
    contexts.append(commitment)
    contexts += [build_context(uid, STORAGE_TRANSFER_SYNTAXES[:4]) for uid in RETRIEVE_CLASSES]
    # Storage: accept whatever roles the requestor proposes, so that a C-GET requestor can
    # act as storage SCP for the sub-operations (PS3.7 D.3.3.4, SCP/SCU Role Selection).
    storage = [str(cx.abstract_syntax) for cx in AllStoragePresentationContexts]
    template = build_context(storage[0], STORAGE_TRANSFER_SYNTAXES)
    template.scu_role = template.scp_role = True
    contexts += [_storage_context(template, sop_class) for sop_class in storage]
    contexts += [_storage_context(template, sop_class) for sop_class in sorted(RETIRED_STORAGE)]
    return tuple(contexts)


def _storage_context(template: PresentationContext, sop_class: str) -> PresentationContext:
    """What ``build_context(sop_class, STORAGE_TRANSFER_SYNTAXES)`` with both roles makes,
    copied from *template*: building each of ~190 anew validated the same 34 transfer syntax
    UIDs every time, 60 ms of every start. The copies share the template's transfer syntax
    list, as all of them share these contexts: nothing changes them."""
    context = copy.copy(template)
    context.abstract_syntax = sop_class
    return context


def retrieve_syntax(proposed: list[str], stored: dict[str, int]) -> str | None:
    """The transfer syntax to accept for a storage context that a C-GET requestor proposes
    as SCP of the sub-operations, or None to keep the usual choice (the requestor's first).

    The sub-operations go out on that one context, so the emulator takes the proposed syntax
    the most instances of that SOP class are *stored* in (*stored*: syntax → count): they
    are then sent as stored, where the usual choice could need a decompression (or a codec
    this machine lacks) for each.
    """
    supported = {str(ts) for ts in STORAGE_TRANSFER_SYNTAXES}
    candidates = [str(ts) for ts in proposed if str(ts) in supported and stored.get(str(ts))]
    if not candidates:
        return None
    return max(candidates, key=lambda ts: (stored[ts], -candidates.index(ts)))


def query_model(sop_class_uid: str) -> Model | None:
    """The query model of a C-FIND SOP class, or None if it is not a Q/R FIND class."""
    return FIND_MODELS.get(str(sop_class_uid))


def share_contexts(ae: ApplicationEntity, contexts: Iterable[PresentationContext]) -> None:
    """Make *contexts* the supported contexts of *ae*, as they are.

    ``add_supported_context`` rebuilds and revalidates each context (every transfer syntax a
    pydicom UID again: about 0.1 s for the emulator's 203), on every start of an emulator;
    the emulator builds its contexts once per process and shares them, as associations do.
    """
    ae._supported_contexts = {cast(UID, cx.abstract_syntax): cx for cx in contexts}


def context_index(contexts: Iterable[PresentationContext]) -> dict[str, PresentationContext]:
    """*contexts* by abstract syntax, as pynetdicom's negotiation indexes them (the last of
    a repeated abstract syntax wins), for :func:`proposed_only`."""
    return {str(cx.abstract_syntax): cx for cx in contexts}


def proposed_only(
    index: Mapping[str, PresentationContext], requested: Iterable[PresentationContext]
) -> list[PresentationContext]:
    """The supported contexts (*index*, from :func:`context_index`) of the abstract syntaxes
    the requestor proposed: pynetdicom's negotiation builds an index of every supported
    context per association (~60 us for the emulator's 206) to look up the few proposed;
    given only those, it answers the same (a spec holds the two to the same outcome)."""
    found: dict[str, PresentationContext] = {}
    for cx in requested:
        syntax = str(cx.abstract_syntax)
        supported = index.get(syntax)
        if supported is not None:
            found[syntax] = supported
    return list(found.values())
