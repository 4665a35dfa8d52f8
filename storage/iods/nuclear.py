"""NM and PT (PS3.3 A.5, A.21): radiopharmaceuticals, energy windows, PET slices."""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.uid import NuclearMedicineImageStorage, PositronEmissionTomographyImageStorage

from storage import pixels
from storage.iods.codes import SCT
from storage.iods.common import Iod, Series, code_item, monochrome, place_slice, plane, position


def _orientation_codes(ds: Dataset) -> None:
    """NM/PET Patient Orientation (PS3.3 C.8.4.6): recumbent, supine, feet first."""
    orientation = code_item(SCT.Recumbent)
    orientation.PatientOrientationModifierCodeSequence = [code_item(SCT.Supine)]
    ds.PatientOrientationCodeSequence = [orientation]
    ds.PatientGantryRelationshipCodeSequence = [code_item(SCT.FeetFirst)]


def _radiopharmaceutical(ds: Dataset, pet: bool) -> None:
    item = Dataset()
    if pet:
        item.RadionuclideCodeSequence = [code_item(SCT._18Fluorine)]
        item.RadiopharmaceuticalCodeSequence = [code_item(SCT.FluorodeoxyglucoseF18)]
        item.RadionuclideHalfLife, item.RadionuclideTotalDose = 6586.2, 370000000
        item.RadionuclidePositronFraction = 0.97
        item.RadiopharmaceuticalStartTime = "080000"
    else:
        item.RadionuclideCodeSequence = [code_item(SCT._99mTechnetium)]
        item.RadiopharmaceuticalCodeSequence = [code_item(SCT.TechnetiumTc99mMedronate)]
    item.Radiopharmaceutical = "FDG" if pet else "Tc99m MDP"
    ds.RadiopharmaceuticalInformationSequence = [item]


def _nm_series(ds: Dataset, series: Series) -> None:
    monochrome(ds, 16, 16)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "STATIC", "EMISSION"]
    ds.LossyImageCompression = "00"
    ds.PatientOrientation = ""
    ds.PixelSpacing = [round(500 / series.rows, 4), round(500 / series.columns, 4)]
    _orientation_codes(ds)
    _radiopharmaceutical(ds, pet=False)
    window = Dataset()
    window.EnergyWindowRangeSequence = [Dataset()]
    window.EnergyWindowRangeSequence[0].EnergyWindowLowerLimit = 126
    window.EnergyWindowRangeSequence[0].EnergyWindowUpperLimit = 154
    window.EnergyWindowName = "TC99M"
    ds.EnergyWindowInformationSequence = [window]
    detectors = []
    for view in (SCT.AnteriorEmissiveProjection, SCT.PosteriorEmissiveProjection):
        detector = Dataset()
        detector.CollimatorGridName = "LEHR"
        detector.CollimatorType = "PARA"
        detector.ImagePositionPatient = detector.ImageOrientationPatient = None  # Type 2
        detector.ViewCodeSequence = [code_item(view)]
        detectors.append(detector)
    ds.DetectorInformationSequence = detectors
    ds.CountsAccumulated = 500000
    ds.ActualFrameDuration = 300000
    ds.WindowCenter, ds.WindowWidth = 800, 1600
    # a static acquisition with two detector heads: one frame per head (PS3.3 C.8.4.8)
    ds.NumberOfFrames = 2
    ds.FrameIncrementPointer = [0x00540010, 0x00540020]  # Energy Window, Detector Vector
    ds.NumberOfEnergyWindows, ds.EnergyWindowVector = 1, [1, 1]
    ds.NumberOfDetectors, ds.DetectorVector = 2, [1, 2]


def _nm_pixels(ds: Dataset, series: Series, i: int, seed: int) -> None:
    ds.PixelData = pixels.emission(series.rows, series.columns, 2, seed).tobytes()


def _pt_series(ds: Dataset, series: Series) -> None:
    monochrome(ds, 16, 16)
    plane(ds, series, 3.0, 600.0)
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.Units, ds.CountsSource, ds.SeriesType = "BQML", "EMISSION", ["WHOLE BODY", "IMAGE"]
    ds.CorrectedImage = ["DECY", "ATTN", "SCAT", "DTIM"]
    ds.DecayCorrection = "START"
    ds.RandomsCorrectionMethod = "DLYD"
    ds.AttenuationCorrectionMethod = "CT-based"
    ds.ReconstructionMethod = "OSEM"
    ds.CollimatorType = "NONE"
    ds.NumberOfSlices = series.instances
    _orientation_codes(ds)
    _radiopharmaceutical(ds, pet=True)
    ds.RescaleIntercept, ds.RescaleSlope = 0, 2.5
    ds.FrameReferenceTime = 0
    ds.AcquisitionDate, ds.AcquisitionTime = series.date, series.time
    ds.ActualFrameDuration = 120000
    ds.DecayFactor, ds.DeadTimeFactor = 1.0321, 1.0112
    ds.LossyImageCompression = "00"
    ds.WindowCenter, ds.WindowWidth = 1250, 2500


def _pt_instance(ds: Dataset, series: Series, i: int) -> None:
    place_slice(ds, series, i, 3.0, 600.0)
    ds.ImageIndex = i + 1


def _pt_pixels(ds: Dataset, series: Series, i: int, seed: int) -> None:
    frame = pixels.emission(series.rows, series.columns, 1, seed, hot=1 + abs(position(series, i)))[
        0
    ]
    ds.PixelData = frame.tobytes()


IODS: dict[str, Iod] = {
    "NM": Iod(NuclearMedicineImageStorage, "NM", 128, 128, 2, _nm_series, _nm_pixels),
    "PT": Iod(
        PositronEmissionTomographyImageStorage,
        "PT",
        128,
        128,
        1,
        _pt_series,
        _pt_pixels,
        _pt_instance,
        True,
    ),
}
