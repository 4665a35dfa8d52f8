"""What a builder of a non-image object is given: the study it goes with, its image series,
and the object's own identity, date and random stream."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from storage.objects.content import sop_reference

# Of the attributes the study's images carry, those of the series, not the study
SERIES_LEVEL = frozenset({"OperatorsName", "PerformingPhysicianName"})


@dataclass(frozen=True, slots=True)
class ImageSeries:
    """One image series of the study: how many instances it has, what a reference to any of
    them needs (``instance(i)``: identity, class, size, body part), and the attributes its
    instances share (``shared()``: windows, rescale, laterality, plane), and the whole header
    of one (``header(i)``: its slice position too); the last two dearer, made when asked,
    read only."""

    count: int
    instance: Callable[[int], Dataset]
    shared: Callable[[], Dataset]
    header: Callable[[int], Dataset]


@dataclass(frozen=True, slots=True)
class StudyContext:
    """A non-image object's study and identity."""

    code: str
    study: Dataset  # the patient and study attributes of the study's images
    images: tuple[ImageSeries, ...]
    series_uid: str
    instance_uid: str
    series_number: int
    date: str  # of the object's series and content: the study's date
    time: str
    rng: random.Random  # the object's own stream: same seed, same object
    manufacturer: str
    peers: dict[str, str] = field(default_factory=dict)  # the study's other objects' UIDs by code
    # only what the index keeps (identity, dates, size): a builder may leave out the rest
    header_only: bool = False

    def common(self, modality: str, sop_class: str, description: str) -> Dataset:
        """The modules every object has: Patient, General Study, a General Series (or the
        document's series) and General Equipment, SOP Common."""
        ds = Dataset()
        for element in self.study:
            if element.keyword not in SERIES_LEVEL:
                ds.add(element)
        ds.Modality = modality
        ds.SeriesInstanceUID = self.series_uid
        ds.SeriesNumber = self.series_number
        ds.SeriesDescription = description
        ds.SeriesDate, ds.SeriesTime = self.date, self.time
        ds.Manufacturer = self.manufacturer
        ds.SOPClassUID = sop_class
        ds.SOPInstanceUID = self.instance_uid
        ds.InstanceNumber = 1
        ds.InstanceCreationDate, ds.InstanceCreationTime = self.date, self.time
        ds.ContentDate, ds.ContentTime = self.date, self.time
        return ds

    def uid(self, purpose: str) -> str:
        """A UID of the object's own for *purpose* (a tracking or a dimension organization
        UID): UUID-derived (PS3.5 B.2) from its instance UID, never longer than 64
        characters, whatever the instance UID's length."""
        name = f"{self.instance_uid}:{purpose}"
        return f"2.25.{uuid.uuid5(uuid.NAMESPACE_OID, name).int}"

    def selected(self, most: int) -> list[Dataset]:
        """Up to *most* image instances of the study, drawn from the object's stream (each
        series in turn, so a selection spans the study)."""
        chosen: list[Dataset] = []
        for n in range(most):
            series = self.images[n % len(self.images)]
            index = self.rng.randrange(series.count)
            header = series.instance(index)
            if all(c.SOPInstanceUID != header.SOPInstanceUID for c in chosen):
                chosen.append(header)
        return chosen


def evidence(images: list[Dataset]) -> Sequence:
    """The evidence sequence of *images* (one study): series in the order first referenced,
    each with its instances (PS3.3 C.17.2.1)."""
    series: dict[str, list[Dataset]] = {}
    for image in images:
        series.setdefault(str(image.SeriesInstanceUID), []).append(sop_reference(image))
    items = []
    for uid, references in series.items():
        item = Dataset()
        item.ReferencedSOPSequence = Sequence(references)
        item.SeriesInstanceUID = uid
        items.append(item)
    study = Dataset()
    study.ReferencedSeriesSequence = Sequence(items)
    study.StudyInstanceUID = images[0].StudyInstanceUID
    return Sequence([study])
