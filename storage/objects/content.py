"""Structured content as PS3.3 C.17.3 has it: content items of each value type, made with
pydicom for the SR-family documents (key object selections, measurement reports)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

Code = tuple[str, str, str]  # value, scheme designator, meaning


# Elements are added by tag and VR (``add_new``): a keyword costs a dictionary lookup each
# time, and a report has a few thousand elements.


@lru_cache(maxsize=1024)
def code_item(value: str, scheme: str, meaning: str) -> Dataset:
    """A code sequence item (PS3.3 Table 8.8-1): value, scheme, meaning. Made once per code
    and shared by every sequence that holds it: nothing changes an item once built."""
    item = Dataset()
    item.add_new(0x00080100, "SH", value)  # Code Value
    item.add_new(0x00080102, "SH", scheme)  # Coding Scheme Designator
    item.add_new(0x00080104, "LO", meaning)  # Code Meaning
    return item


def item(relationship: str | None, value_type: str, name: Code) -> Dataset:
    """A content item: its relationship to its parent (None: the root), type and name."""
    ds = Dataset()
    if relationship is not None:
        ds.add_new(0x0040A010, "CS", relationship)  # Relationship Type
    ds.add_new(0x0040A040, "CS", value_type)  # Value Type
    ds.add_new(0x0040A043, "SQ", Sequence([code_item(*name)]))  # Concept Name Code Sequence
    return ds


@lru_cache(maxsize=64)
def _template_item(identifier: str) -> Dataset:
    ds = Dataset()
    ds.add_new(0x00080105, "CS", "DCMR")  # Mapping Resource
    ds.add_new(0x0040DB00, "CS", identifier)  # Template Identifier
    return ds


def template(identifier: str) -> Sequence:
    """A Content Template Sequence naming DCMR template *identifier* (shared item)."""
    return Sequence([_template_item(identifier)])


def container(
    relationship: str | None, name: Code, children: Iterable[Dataset], tid: str | None = None
) -> Dataset:
    ds = item(relationship, "CONTAINER", name)
    ds.ContinuityOfContent = "CONTINUOUS"
    if tid is not None:
        ds.ContentTemplateSequence = template(tid)
    ds.ContentSequence = Sequence(list(children))
    return ds


def coded(relationship: str, name: Code, value: Code) -> Dataset:
    ds = item(relationship, "CODE", name)
    ds.ConceptCodeSequence = Sequence([code_item(*value)])
    return ds


def text(relationship: str, name: Code, value: str) -> Dataset:
    ds = item(relationship, "TEXT", name)
    ds.TextValue = value
    return ds


def uidref(relationship: str, name: Code, value: str) -> Dataset:
    ds = item(relationship, "UIDREF", name)
    ds.UID = value
    return ds


def person(relationship: str, name: Code, value: str) -> Dataset:
    ds = item(relationship, "PNAME", name)
    ds.PersonName = value
    return ds


def number(relationship: str, name: Code, value: float, unit: Code) -> Dataset:
    ds = item(relationship, "NUM", name)
    measured = Dataset()
    measured.MeasurementUnitsCodeSequence = Sequence([code_item(*unit)])
    measured.FloatingPointValue = value
    measured.NumericValue = str(value)
    ds.MeasuredValueSequence = Sequence([measured])
    return ds


def sop_reference(image: Dataset) -> Dataset:
    """A reference to *image*: its SOP Class and Instance UIDs (PS3.3 Table 10-11)."""
    reference = Dataset()
    reference.ReferencedSOPClassUID = image.SOPClassUID
    reference.ReferencedSOPInstanceUID = image.SOPInstanceUID
    return reference


def image(relationship: str, name: Code, referenced: Dataset) -> Dataset:
    """An IMAGE item referencing the image *referenced*."""
    ds = item(relationship, "IMAGE", name)
    ds.ReferencedSOPSequence = Sequence([sop_reference(referenced)])
    return ds


def region(
    relationship: str, name: Code, graphic_type: str, points: list[float], source: Dataset
) -> Dataset:
    """A SCOORD item (image coordinates) with the IMAGE it is SELECTED FROM."""
    ds = item(relationship, "SCOORD", name)
    ds.GraphicType = graphic_type
    ds.GraphicData = points
    ds.ContentSequence = Sequence([source])
    return ds
