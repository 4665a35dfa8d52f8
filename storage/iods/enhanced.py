"""Enhanced CT and Enhanced MR images (PS3.3 A.38, A.36.2), codes ``ECT`` and ``EMR``: the
series' volume as ONE multi-frame instance, a frame a slice (as many as ``instances per
series``), with what the classic images carry per instance moved into functional groups:
shared (pixel measures, orientation, anatomy, rescale, window, and the acquisition:
CT's exposure, geometry and reconstruction, MR's timing, echo, coils) and per frame (plane
position, frame content with its stack position), and a dimension index of stack and
in-stack position. For the viewers and archives that must handle them, the frames are the
classic series' slices."""

from __future__ import annotations

import uuid

from pydicom.dataset import Dataset
from pydicom.uid import EnhancedCTImageStorage, EnhancedMRImageStorage

from storage import pixels
from storage.iods.common import ANATOMY, Iod, Series, code_item, monochrome

BASE = {"ECT": "CT", "EMR": "MR"}  # each code's classic modality (protocols, worklist)
THICKNESS = {"CT": 5.0, "MR": 4.0}  # mm, as the classic series
FIELD = {"CT": 250.0, "MR": 240.0}  # mm
# Dimension Index Pointers and their Functional Group Pointer: Stack ID, In-Stack Position
STACK_ID, IN_STACK, FRAME_CONTENT = 0x00209056, 0x00209057, 0x00209111


def item(**values: object) -> Dataset:
    made = Dataset()
    for keyword, value in values.items():
        setattr(made, keyword, value)
    return made


def _dimensions(ds: Dataset, uid: str) -> None:
    ds.DimensionOrganizationSequence = [item(DimensionOrganizationUID=uid)]
    ds.DimensionIndexSequence = [
        item(DimensionOrganizationUID=uid, DimensionIndexPointer=pointer,
             FunctionalGroupPointer=FRAME_CONTENT, DimensionDescriptionLabel=label)
        for pointer, label in ((STACK_ID, "Stack ID"), (IN_STACK, "In-Stack Position Number"))
    ]  # fmt: skip


def _common_shared(series: Series, modality: str) -> Dataset:
    """The functional groups both share: pixel measures, orientation, anatomy."""
    spacing = [round(FIELD[modality] / series.rows, 4), round(FIELD[modality] / series.columns, 4)]
    anatomy = code_item(ANATOMY.get(series.body_part, ANATOMY["CHEST"]))
    return item(
        PixelMeasuresSequence=[item(PixelSpacing=spacing, SliceThickness=THICKNESS[modality])],
        PlaneOrientationSequence=[item(ImageOrientationPatient=[1, 0, 0, 0, 1, 0])],
        # a paired part's side here, not in the series (General Series Laterality: 2C)
        FrameAnatomySequence=[
            item(AnatomicRegionSequence=[anatomy], FrameLaterality=series.laterality or "U")
        ],
    )


def _per_frame(series: Series, modality: str) -> list[Dataset]:
    """Each frame's position in the volume (as the classic slices) and in the stack."""
    frames = []
    thickness, field = THICKNESS[modality], FIELD[modality]
    stamp = series.date + series.time
    for k in range(series.frames):
        z = round(position_in(series, k) * thickness * series.frames / 2, 3)
        content = item(
            FrameReferenceDateTime=stamp,
            FrameAcquisitionDateTime=stamp,
            FrameAcquisitionDuration=500,
            StackID="1",
            InStackPositionNumber=k + 1,
            DimensionIndexValues=[1, k + 1],
        )
        frames.append(
            item(
                FrameContentSequence=[content],
                PlanePositionSequence=[item(ImagePositionPatient=[-field / 2, -field / 2, z])],
            )
        )
    return frames


def position_in(series: Series, k: int) -> float:
    """Frame *k* in -1..1 along the volume."""
    n = series.frames
    return (2 * k / (n - 1) - 1) if n > 1 else 0.0


def own_uid(ds: Dataset, purpose: str) -> str:
    """A UID of the series' own for *purpose*, UUID-derived from its instance UID."""
    return f"2.25.{uuid.uuid5(uuid.NAMESPACE_OID, f'{ds.SeriesInstanceUID}:{purpose}').int}"


def _image(ds: Dataset, series: Series, modality: str, image_type: list[str]) -> None:
    """What both images' Enhanced image modules and the frame of reference hold."""
    monochrome(ds, 16, 12)
    ds.ImageType = image_type
    ds.PixelPresentation = "MONOCHROME"
    ds.VolumetricProperties = "VOLUME"
    ds.VolumeBasedCalculationTechnique = "NONE"
    ds.FrameOfReferenceUID = series.frame_of_reference
    ds.PositionReferenceIndicator = ""
    ds.PatientPosition = "HFS"
    if "Laterality" in ds:
        del ds.Laterality  # in the frames' anatomy
    ds.DeviceSerialNumber = "0001"
    ds.AcquisitionNumber = 1
    ds.AcquisitionDateTime = series.date + series.time
    ds.AcquisitionDuration = 10.0
    ds.ContentQualification = "PRODUCT"
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    ds.PresentationLUTShape = "IDENTITY"
    ds.AcquisitionContextSequence = []
    ds.NumberOfFrames = series.frames
    _dimensions(ds, own_uid(ds, "dimensions"))


def _ct_acquisition(shared: Dataset) -> None:
    """The CT shared groups of an ORIGINAL image (C.8.15.3): frame type, acquisition type and
    details, table dynamics, geometry, reconstruction, exposure, X-ray details, in place."""
    shared.CTImageFrameTypeSequence = [
        item(FrameType=["ORIGINAL", "PRIMARY", "VOLUME", "NONE"], PixelPresentation="MONOCHROME",
             VolumetricProperties="VOLUME", VolumeBasedCalculationTechnique="NONE")
    ]  # fmt: skip
    shared.CTAcquisitionTypeSequence = [
        item(AcquisitionType="SPIRAL", ConstantVolumeFlag="NO", FluoroscopyFlag="NO")
    ]
    shared.CTAcquisitionDetailsSequence = [
        item(DataCollectionDiameter=500, RevolutionTime=0.5, SingleCollimationWidth=0.625,
             TotalCollimationWidth=40, TableHeight=150, GantryDetectorTilt=0,
             RotationDirection="CW")
    ]  # fmt: skip
    shared.CTTableDynamicsSequence = [
        item(TableSpeed=78.72, TableFeedPerRotation=39.36, SpiralPitchFactor=0.984)
    ]
    shared.CTGeometrySequence = [
        item(DistanceSourceToDetector=1040, DistanceSourceToDataCollectionCenter=570)
    ]
    shared.CTReconstructionSequence = [
        item(ReconstructionAlgorithm="FILTER_BACK_PROJ", ConvolutionKernel="STANDARD",
             ConvolutionKernelGroup="SOFT_TISSUE", ReconstructionDiameter=FIELD["CT"],
             ReconstructionPixelSpacing=shared.PixelMeasuresSequence[0].PixelSpacing,
             ReconstructionAngle=360, ImageFilter="STANDARD")
    ]  # fmt: skip
    shared.CTExposureSequence = [
        item(ExposureTimeInms=500, XRayTubeCurrentInmA=250, ExposureInmAs=125,
             ExposureModulationType="NONE", CTDIvol=12.5,
             CTDIPhantomTypeCodeSequence=[
                 item(CodeValue="113691", CodingSchemeDesignator="DCM",
                      CodeMeaning="IEC Body Dosimetry Phantom")])
    ]  # fmt: skip
    shared.CTXRayDetailsSequence = [
        item(KVP=120, FocalSpots=[1.0], FilterType="BODY", FilterMaterial="ALUMINUM")
    ]


def _ct_series(ds: Dataset, series: Series) -> None:
    _image(ds, series, "CT", ["ORIGINAL", "PRIMARY", "VOLUME", "NONE"])
    shared = _common_shared(series, "CT")
    shared.PixelValueTransformationSequence = [
        item(RescaleIntercept=-1024, RescaleSlope=1, RescaleType="HU")
    ]
    shared.FrameVOILUTSequence = [item(WindowCenter=[40, -600], WindowWidth=[400, 1500])]
    shared.IrradiationEventIdentificationSequence = [
        item(IrradiationEventUID=own_uid(ds, "irradiation"))
    ]
    _ct_acquisition(shared)
    ds.SharedFunctionalGroupsSequence = [shared]
    frames = _per_frame(series, "CT")
    for frame in frames:
        z = float(frame.PlanePositionSequence[0].ImagePositionPatient[2])
        frame.CTPositionSequence = [
            item(TablePosition=z, ReconstructionTargetCenterPatient=[0, 0, z],
                 DataCollectionCenterPatient=[0, 0, z])
        ]  # fmt: skip
    ds.PerFrameFunctionalGroupsSequence = frames


def _volume_pixels(ds: Dataset, series: Series, i: int, seed: int) -> None:
    modality = "CT" if ds.SOPClassUID == EnhancedCTImageStorage else "MR"
    ds.PixelData = b"".join(
        pixels.phantom(
            series.rows, series.columns, position_in(series, k), modality, seed + k
        ).tobytes()
        for k in range(series.frames)
    )


IODS: dict[str, Iod] = {
    "ECT": Iod(EnhancedCTImageStorage, "CT", 512, 512, 1, _ct_series, _volume_pixels),
}


def _pulse_sequence(ds: Dataset, train: int) -> None:
    """MR Pulse Sequence (C.8.13.4): a 2D spin echo, as the classic series."""
    ds.PulseSequenceName = "SE2D"
    ds.MRAcquisitionType = "2D"
    ds.EchoPulseSequence = "SPIN"
    ds.MultipleSpinEcho = "NO"
    ds.MultiPlanarExcitation = "NO"
    ds.PhaseContrast = "NO"
    ds.TimeOfFlightContrast = "NO"
    ds.SteadyStatePulseSequence = "NONE"
    ds.EchoPlanarPulseSequence = "NO"
    ds.SaturationRecovery = "NO"
    ds.SpectrallySelectedSuppression = "NONE"
    ds.OversamplingPhase = "NONE"
    ds.GeometryOfKSpaceTraversal = "RECTILINEAR"
    ds.SegmentedKSpaceTraversal = "PARTIAL" if train > 1 else "SINGLE"
    ds.RectilinearPhaseEncodeReordering = "LINEAR"
    ds.NumberOfKSpaceTrajectories = 1


def _mr_hardware(shared: Dataset) -> None:
    """The modifiers, coils and averages of the MR shared groups, in place."""
    shared.MRModifierSequence = [
        item(InversionRecovery="NO", FlowCompensation="NONE", T2Preparation="NO",
             SpectrallySelectedExcitation="NONE", SpatialPresaturation="NONE",
             PartialFourier="NO", ParallelAcquisition="NO")
    ]  # fmt: skip
    shared.MRImagingModifierSequence = [
        item(MagnetizationTransfer="NONE", BloodSignalNulling="NO", Tagging="NONE",
             TransmitterFrequency=63.87, PixelBandwidth=200)
    ]  # fmt: skip
    shared.MRReceiveCoilSequence = [
        item(
            ReceiveCoilName="BODY",
            ReceiveCoilManufacturerName="DICOM Fabricator",
            ReceiveCoilType="BODY",
            QuadratureReceiveCoil="YES",
        )
    ]
    shared.MRTransmitCoilSequence = [
        item(TransmitCoilName="BODY", TransmitCoilManufacturerName="DICOM Fabricator",
             TransmitCoilType="BODY")
    ]  # fmt: skip
    shared.MRAveragesSequence = [item(NumberOfAverages=1)]


def _mr_shared(series: Series, flavor: str, repetition: int, echo: int, train: int) -> Dataset:
    """The MR functional groups every frame shares: timing, FOV, echo, modifiers, coils."""
    shared = _common_shared(series, "MR")
    shared.PixelValueTransformationSequence = [
        item(RescaleIntercept=0, RescaleSlope=1, RescaleType="US")
    ]
    shared.FrameVOILUTSequence = [item(WindowCenter=1200, WindowWidth=2400)]
    shared.MRImageFrameTypeSequence = [
        item(FrameType=["ORIGINAL", "PRIMARY", flavor, "NONE"], PixelPresentation="MONOCHROME",
             VolumetricProperties="VOLUME", VolumeBasedCalculationTechnique="NONE",
             ComplexImageComponent="MAGNITUDE", AcquisitionContrast=flavor)
    ]  # fmt: skip
    shared.MRTimingAndRelatedParametersSequence = [
        item(RepetitionTime=repetition, FlipAngle=90, EchoTrainLength=train,
             RFEchoTrainLength=train, GradientEchoTrainLength=0,
             SpecificAbsorptionRateSequence=[
                 item(SpecificAbsorptionRateDefinition="IEC_WHOLE_BODY",
                      SpecificAbsorptionRateValue=0.8)],
             OperatingModeSequence=[
                 item(OperatingModeType=kind, OperatingMode="IEC_NORMAL")
                 for kind in ("STATIC FIELD", "RF", "GRADIENT")])
    ]  # fmt: skip
    shared.MRFOVGeometrySequence = [
        item(InPlanePhaseEncodingDirection="ROW", MRAcquisitionFrequencyEncodingSteps=256,
             MRAcquisitionPhaseEncodingStepsInPlane=256, PercentSampling=100,
             PercentPhaseFieldOfView=100)
    ]  # fmt: skip
    shared.MREchoSequence = [item(EffectiveEchoTime=echo)]
    _mr_hardware(shared)
    return shared


def _mr_series(ds: Dataset, series: Series) -> None:
    t2 = "T2" in series.description or "FLAIR" in series.description
    flavor, repetition, echo, train = ("T2", 4000, 100, 16) if t2 else ("T1", 500, 15, 1)
    _image(ds, series, "MR", ["ORIGINAL", "PRIMARY", flavor, "NONE"])
    ds.ComplexImageComponent = "MAGNITUDE"
    ds.AcquisitionContrast = flavor
    _pulse_sequence(ds, train)
    # Enhanced MR Image (C.8.13.1)
    ds.ResonantNucleus = "1H"
    ds.KSpaceFiltering = "NONE"
    ds.MagneticFieldStrength = 1.5
    ds.ApplicableSafetyStandardAgency = "IEC"
    shared = _mr_shared(series, flavor, repetition, echo, train)
    ds.SharedFunctionalGroupsSequence = [shared]
    ds.PerFrameFunctionalGroupsSequence = _per_frame(series, "MR")


IODS["EMR"] = Iod(EnhancedMRImageStorage, "MR", 256, 256, 1, _mr_series, _volume_pixels)
