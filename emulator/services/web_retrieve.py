"""WADO-RS (PS3.18 10.4): which instances a study, series or instance resource names, and
each one's bytes, metadata, bulk data and frames. Conversion is C-MOVE's: to an uncompressed
syntax, or not at all."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from io import BytesIO
from typing import Any

from pydicom.dataset import Dataset
from pydicom.encaps import generate_frames
from pydicom.uid import UID, ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from emulator.services import coercion
from emulator.services.context import ServiceContext
from emulator.services.retrieve import decompressed, little_endian
from storage import InstanceNotFound, Model, locations, parse_retrieve

UNCOMPRESSED = (str(ExplicitVRLittleEndian), str(ImplicitVRLittleEndian))
_BINARY = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
BULK_THRESHOLD = 1024  # top-level binary values larger than this are bulk data


def select(
    ctx: ServiceContext, study: str, series: str | None = None, instance: str | None = None
) -> list[sqlite3.Row]:
    """The instances of a resource in index order (uid, classes, syntax, size, location).

    Raises
    ------
    storage.InvalidIdentifier
        For a UID that is not one.
    storage.InstanceNotFound
        When the resource has no instance.
    """
    identifier = Dataset()
    identifier.QueryRetrieveLevel = "IMAGE" if instance else "SERIES" if series else "STUDY"
    identifier.StudyInstanceUID = study
    if series is not None:
        identifier.SeriesInstanceUID = series
    if instance is not None:
        identifier.SOPInstanceUID = instance
    query = parse_retrieve(identifier, Model.STUDY_ROOT).query
    rows = list(ctx.index.iter_rows(query, page_size=1000))
    if not rows:
        what = f"instance {instance}" if instance else f"series {series}" if series else "study"
        raise InstanceNotFound(f"no {what} of study {study} in the archive")
    return rows


def convertible(stored: str, wanted: str) -> bool:
    """Whether an instance stored in *stored* can be sent in *wanted* (``*``: as stored)."""
    return wanted in ("*", stored) or wanted in UNCOMPRESSED


def part10(ctx: ServiceContext, row: Any, wanted: str) -> tuple[bytes, str]:
    """The instance of *row* as a Part 10 file in *wanted* (``*``: as stored), and the
    transfer syntax it is in.

    Raises
    ------
    storage.StorageError
        If it cannot be read, or not converted (a codec this machine lacks).
    """
    location = locations.from_row(row)
    stored = str(row["transfer_syntax_uid"])
    if wanted in ("*", stored) and not coercion.wanted(ctx):
        return ctx.instances.part10(location), stored
    ds = ctx.instances.dataset(location)
    if coercion.wanted(ctx):
        ds = coercion.coerce(ctx, ds)
        if wanted in ("*", stored):  # as stored otherwise: only the patient changed
            buffer = BytesIO()
            ds.save_as(buffer, enforce_file_format=True)
            return buffer.getvalue(), stored
    if UID(stored).is_compressed:
        ds = decompressed(ds)
    elif stored == ExplicitVRBigEndian:
        ds = little_endian(ds)
    ds.file_meta.TransferSyntaxUID = UID(wanted)
    buffer = BytesIO()
    implicit = wanted == ImplicitVRLittleEndian
    ds.save_as(buffer, implicit_vr=implicit, little_endian=True, enforce_file_format=True)
    return buffer.getvalue(), wanted


def metadata(ctx: ServiceContext, row: Any, bulk_uri: Callable[[int], str]) -> dict[str, Any]:
    """The instance of *row* as DICOM JSON (PS3.18 F.2), its large top-level binary values
    (pixel data first of all) as ``BulkDataURI`` (*bulk_uri* of the tag) and File Meta
    Information left out."""
    ds = ctx.instances.dataset(locations.from_row(row))
    bulk = {}
    for elem in list(ds):
        if elem.VR in _BINARY and elem.value is not None and _size(elem.value) > BULK_THRESHOLD:
            bulk[f"{elem.tag:08X}"] = {"vr": elem.VR, "BulkDataURI": bulk_uri(int(elem.tag))}
            del ds[elem.tag]
    answer = ds.to_json_dict(bulk_data_threshold=2**31)
    answer.update(bulk)
    return dict(sorted(answer.items()))


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (bytes, bytearray)) else 0


def bulk_value(ctx: ServiceContext, row: Any, tag: int) -> bytes:
    """The value of the top-level element *tag* as stored (pixel data of a compressed
    instance: its encapsulated value).

    Raises
    ------
    storage.InstanceNotFound
        When the instance has no such element.
    """
    ds = ctx.instances.dataset(locations.from_row(row))
    if tag not in ds or not isinstance(ds[tag].value, (bytes, bytearray)):
        raise InstanceNotFound(
            f"the instance has no bulk data element ({tag >> 16:04X},{tag & 0xFFFF:04X})"
        )
    return bytes(ds[tag].value)


def frames(ctx: ServiceContext, row: Any, numbers: list[int], as_stored: bool) -> list[bytes]:
    """Frames *numbers* (1-based) of the instance of *row*: uncompressed bytes, or with
    *as_stored* each frame's bytes as stored (a compressed frame as encoded).

    Raises
    ------
    storage.InstanceNotFound
        For a frame number past the last frame, or an instance without pixel data.
    storage.StorageError
        If compressed frames cannot be decoded here.
    """
    ds = ctx.instances.dataset(locations.from_row(row))
    if "PixelData" not in ds:
        raise InstanceNotFound(f"instance {row['sop_instance_uid']} has no pixel data")
    count = int(ds.get("NumberOfFrames", 1) or 1)
    beyond = [n for n in numbers if not 1 <= n <= count]
    if beyond:
        raise InstanceNotFound(f"frame {beyond[0]} is not one of the instance's {count} frames")
    syntax = UID(str(row["transfer_syntax_uid"]))
    if syntax.is_compressed and as_stored:
        encoded = list(generate_frames(ds.PixelData, number_of_frames=count))
        return [encoded[n - 1] for n in numbers]
    if syntax.is_compressed:
        ds = decompressed(ds)
    elif syntax == ExplicitVRBigEndian:
        ds = little_endian(ds)
    data = bytes(ds.PixelData)
    size = len(data) // count
    return [data[(n - 1) * size : n * size] for n in numbers]
