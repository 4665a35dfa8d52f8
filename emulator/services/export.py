"""Export instances as a DICOM File-set: Part 10 files plus a DICOMDIR (PS3.10 §8, PS3.3 F).

Files received by C-STORE are copied as stored; fabricated instances are synthesized. pydicom's
``FileSet`` lays out the files (``PT*/ST*/SE*/IM*``) and writes the DICOMDIR.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.fileset import FileSet
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
            if isinstance(location, str):  # a file
                fileset.add(instances.files.path(location))
            else:
                fileset.add(instances.dataset(location))
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
