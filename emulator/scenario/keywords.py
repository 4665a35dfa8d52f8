"""SOP class and transfer syntax keywords of scenario files, resolved to UIDs.

A rule may name a SOP class or transfer syntax by keyword (``CTImageStorage``) where DICOM
gives a UID. The keywords are pydicom's (its UID dictionary, which covers transfer syntaxes
and SOP classes), and pynetdicom's own spellings for the few it names differently, so that
the scenario engine needs no network library to read a file. ``tests/unit`` checks that every
name pynetdicom's ``sop_class`` module offers resolves to the UID pynetdicom gives it.
"""

from __future__ import annotations

from functools import cache

from pydicom import uid as pydicom_uids

# pynetdicom's names that are not pydicom keywords (aliases, misspellings, classes newer than
# pydicom's dictionary), with their UIDs
PYNETDICOM_ONLY = {
    "ColorPaletteInformationModelFind": "1.2.840.10008.5.1.4.39.2",
    "ColorPaletteInformationModelGet": "1.2.840.10008.5.1.4.39.4",
    "ColorPaletteInformationModelMove": "1.2.840.10008.5.1.4.39.3",
    "HeightMapSegmentationStorage": "1.2.840.10008.5.1.4.1.1.66.8",
    "LabelMapSegmentationStorage": "1.2.840.10008.5.1.4.1.1.66.7",
    "ModalityWorklistInformationFind": "1.2.840.10008.5.1.4.31",
    "OphthlamicOpticalCoherenceTomographyBscanVolumeAnalysisStorage": (
        "1.2.840.10008.5.1.4.1.1.77.1.5.8"
    ),
    "PseudoColorSoftcopyPresentationStageStorage": "1.2.840.10008.5.1.4.1.1.11.3",
    "RTBrachyApplicationSetupDeliveryInstructionsStorage": "1.2.840.10008.5.1.4.34.10",
    "RoboticArmRadiationRecordStorage": "1.2.840.10008.5.1.4.1.1.481.20",
    "VariableModalityLUTSoftcopyPresentationStageStorage": "1.2.840.10008.5.1.4.1.1.11.12",
    "WaveformAcquisitionPresentationStateStorage": "1.2.840.10008.5.1.4.1.1.9.100.2",
    "WaveformPresentationStateStorage": "1.2.840.10008.5.1.4.1.1.9.100.1",
}


@cache
def _keywords() -> dict[str, str]:
    table = {entry[4]: uid for uid, entry in pydicom_uids.UID_dictionary.items() if entry[4]}
    table.update(PYNETDICOM_ONLY)
    return table


def uid_of(keyword: str) -> str | None:
    """The UID *keyword* names (None: no such keyword)."""
    return _keywords().get(keyword)


def sop_uid(value: str) -> str:
    """*value* as a UID: the UID of a keyword, or *value* itself (a UID or a glob)."""
    return uid_of(value) or value
