"""RT Plans (PS3.3 A.20): a four-field box (gantry 0, 90, 180, 270; 6 MV photons, static
jaws) aimed at the PTV of the study's structure set, which it references; the prescription to
the PTV in fractions, each beam's monitor units from the beams' dose model
(``rt_geometry``), which the study's RT Dose follows too."""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.uid import RTStructureSetStorage

from storage.objects import rt_geometry
from storage.objects.content import Item, into, of
from storage.objects.context import StudyContext

MACHINE = "FABLINAC"
ENERGY = 6  # MV
DESCRIPTIONS = {0: "AP", 90: "LT LAT", 180: "PA", 270: "RT LAT"}


def _control_points(tgt: rt_geometry.Target, gantry: int) -> list[Item]:
    across = tgt.half_x if gantry in (0, 180) else tgt.half_y
    jaws = [
        of(RTBeamLimitingDeviceType="ASYMX", LeafJawPositions=[-across, across]),
        of(RTBeamLimitingDeviceType="ASYMY", LeafJawPositions=[-tgt.half_z, tgt.half_z]),
    ]
    first = of(
        ControlPointIndex=0,
        NominalBeamEnergy=ENERGY,
        DoseRateSet=600,
        BeamLimitingDevicePositionSequence=jaws,
        GantryAngle=gantry,
        GantryRotationDirection="NONE",
        BeamLimitingDeviceAngle=0,
        BeamLimitingDeviceRotationDirection="NONE",
        PatientSupportAngle=0,
        PatientSupportRotationDirection="NONE",
        TableTopEccentricAngle=0,
        TableTopEccentricRotationDirection="NONE",
        TableTopVerticalPosition="",
        TableTopLongitudinalPosition="",
        TableTopLateralPosition="",
        IsocenterPosition=list(tgt.isocenter),
        CumulativeMetersetWeight=0,
    )
    return [first, of(ControlPointIndex=1, CumulativeMetersetWeight=1)]


def _beam(number: int, gantry: int, tgt: rt_geometry.Target) -> Item:
    devices = [
        of(RTBeamLimitingDeviceType=kind, NumberOfLeafJawPairs=1) for kind in ("ASYMX", "ASYMY")
    ]
    return of(
        BeamNumber=number,
        BeamName=f"G{gantry:03d}",
        BeamDescription=DESCRIPTIONS[gantry],
        BeamType="STATIC",
        RadiationType="PHOTON",
        TreatmentMachineName=MACHINE,
        PrimaryDosimeterUnit="MU",
        SourceAxisDistance=1000,
        BeamLimitingDeviceSequence=devices,
        ReferencedPatientSetupNumber=1,
        TreatmentDeliveryType="TREATMENT",
        NumberOfWedges=0,
        NumberOfCompensators=0,
        NumberOfBoli=0,
        NumberOfBlocks=0,
        FinalCumulativeMetersetWeight=1,
        NumberOfControlPoints=2,
        ControlPointSequence=_control_points(tgt, gantry),
    )


def _fraction_group(vol: rt_geometry.Volume, tgt: rt_geometry.Target, total: float,
                    fractions: int) -> Item:  # fmt: skip
    """Each beam's share of a fraction at the isocentre and its monitor units (1 cGy a MU
    at the reference depth): the box's beams all get the same."""
    share = total / fractions * rt_geometry.weight(vol, tgt)
    beams = [
        of(
            ReferencedBeamNumber=number,
            BeamDose=round(share * rt_geometry.at_isocenter(vol, tgt, gantry), 4),
            BeamMeterset=round(100 * share, 1),
        )
        for number, gantry in enumerate(rt_geometry.GANTRY_ANGLES, 1)
    ]
    return of(
        FractionGroupNumber=1,
        NumberOfFractionsPlanned=fractions,
        NumberOfBeams=len(beams),
        NumberOfBrachyApplicationSetups=0,
        ReferencedBeamSequence=beams,
    )


def build(ctx: StudyContext) -> Dataset:
    ds = rt_geometry.rt_common(ctx, "RTPLAN")
    ds.RTPlanLabel = "PHANTOM 4F"
    ds.RTPlanName = "Four-field box"
    ds.RTPlanDate, ds.RTPlanTime = ctx.date, ctx.time
    ds.RTPlanGeometry = "PATIENT"
    ds.PlanIntent = "CURATIVE"
    ds.ApprovalStatus = "UNAPPROVED"
    if ctx.header_only:  # the index's columns are set: no beams
        return ds
    vol = rt_geometry.volume(ctx.images[0])
    tgt = rt_geometry.target(vol)
    total, fractions = rt_geometry.prescription(ctx.instance_uid)
    ds.FrameOfReferenceUID = vol.frame_of_reference
    ds.PositionReferenceIndicator = ""
    structure_set = of(
        ReferencedSOPClassUID=RTStructureSetStorage,
        ReferencedSOPInstanceUID=ctx.peers["RTSTRUCT"],
    )
    reference = of(
        DoseReferenceNumber=1,
        DoseReferenceUID=ctx.uid("dose reference"),
        DoseReferenceStructureType="VOLUME",
        DoseReferenceDescription=rt_geometry.PTV.name,
        ReferencedROINumber=rt_geometry.PTV.number,
        DoseReferenceType="TARGET",
        TargetPrescriptionDose=total,
    )
    setup = of(PatientSetupNumber=1, PatientPosition="HFS", SetupTechnique="ISOCENTRIC")
    beams = [_beam(n, gantry, tgt) for n, gantry in enumerate(rt_geometry.GANTRY_ANGLES, 1)]
    into(
        ds,
        of(
            ReferencedStructureSetSequence=[structure_set],
            DoseReferenceSequence=[reference],
            FractionGroupSequence=[_fraction_group(vol, tgt, total, fractions)],
            BeamSequence=beams,
            PatientSetupSequence=[setup],
        ),
    )
    return ds
