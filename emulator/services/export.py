"""Export instances as a DICOM File-set: Part 10 files plus a DICOMDIR (PS3.10 §8, PS3.3 F).

Files received by C-STORE are copied as stored; fabricated instances are synthesized. pydicom's
``FileSet`` lays out the files (``PT*/ST*/SE*/IM*``) and writes the DICOMDIR.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.fileset import DIRECTORY_RECORDERS, FileSet, RecordNode
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from emulator.errors import ExportError
from storage import Index, InstanceSource, StorageError, locations

log = logging.getLogger(__name__)


@dataclass
class Exported:
    """What an export wrote, and what it left out and why."""

    out: Path
    instances: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # SOP Instance UID → reason


STRUCTURED_REPORTS = "1.2.840.10008.5.1.4.1.1.88."  # the SR family's SOP classes, KO too


def _document_record(ds: Dataset) -> RecordNode:
    """The directory records of a structured report, as pydicom makes them but for the
    document record's Content Sequence: only the root's HAS CONCEPT MOD items belong there
    (PS3.3 F.5.24), where pydicom copies the whole content tree."""
    kind = "KEY OBJECT DOC" if ds.get("Modality") == "KO" else "SR DOCUMENT"
    record = DIRECTORY_RECORDERS[kind](ds)
    record.DirectoryRecordType = kind
    modifiers = [
        _without_children(item)
        for item in record.get("ContentSequence", [])
        if item.get("RelationshipType") == "HAS CONCEPT MOD"
    ]
    if "ContentSequence" in record:
        del record.ContentSequence
    if modifiers:
        record.ContentSequence = Sequence(modifiers)
    record.ReferencedSOPClassUIDInFile = ds.SOPClassUID  # the leaf's key: its instance
    record.ReferencedSOPInstanceUIDInFile = ds.SOPInstanceUID
    leaf = RecordNode(record)
    parent = leaf
    for level in ("SERIES", "STUDY", "PATIENT"):
        level_record = DIRECTORY_RECORDERS[level](ds)
        level_record.DirectoryRecordType = level
        node = RecordNode(level_record)
        parent.parent = node
        parent = node
    return leaf


def _without_children(item: Dataset) -> Dataset:
    copy = Dataset()
    for element in item:
        if element.keyword != "ContentSequence":
            copy.add(element)
    return copy


def export(
    index: Index,
    instances: InstanceSource,
    out: Path,
    study_uids: list[str] | None = None,
    progress: Callable[[int], object] | None = None,
) -> Exported:
    """Write the archive's instances (or those of *study_uids*) under *out* with a DICOMDIR.

    An instance that cannot be read, or that lacks what a DICOMDIR record needs, is skipped
    and reported; the rest are written.

    Raises
    ------
    ExportError
        If *out* exists and is not an empty directory, a study is not in the archive, or the
        File-set cannot be written.
    """
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out} exists and is not an empty directory: choose another --out")
    if study_uids:
        missing = sorted(set(study_uids) - index.study_uids())
        if missing:
            raise ExportError(f"no study {', '.join(missing)} in the archive")
    result = Exported(out)
    fileset = FileSet()
    fileset.ID = "FABRICATOR"
    for row in index.locations(study_uids or None):
        uid, location = row["sop_instance_uid"], locations.from_row(row)
        try:
            source = (
                instances.files.path(location)
                if isinstance(location, str)  # a file
                else instances.dataset(location)
            )
            if str(row["sop_class_uid"]).startswith(STRUCTURED_REPORTS):
                header = source if isinstance(source, Dataset) else dcmread(source)
                fileset.add_custom(source, _document_record(header))
            else:
                fileset.add(source)
            result.instances += 1
        except OSError as exc:
            result.skipped[uid] = f"cannot read {location}: {exc.strerror or exc}"
        except (StorageError, ValueError, AttributeError, KeyError) as exc:
            # ValueError etc.: pydicom finds no value for a key its DICOMDIR records need
            result.skipped[uid] = str(exc)
        if uid in result.skipped:
            log.warning("export skips sop_instance=%s: %s", uid, result.skipped[uid])
        if progress is not None:
            progress(1)
    # The same instances make the same File-set: its UID (the DICOMDIR's Media Storage SOP
    # Instance UID) comes from what it holds, not from chance as pydicom's default would.
    exported = sorted(str(instance.SOPInstanceUID) for instance in fileset)
    fileset.UID = generate_uid(entropy_srcs=["dicom-fabricator export", *exported])
    try:
        fileset.write(out)
    except (OSError, ValueError) as exc:
        raise ExportError(f"cannot write the File-set to {out}: {exc}") from exc
    log.info("exported %d instances to %s", result.instances, out)
    return result
