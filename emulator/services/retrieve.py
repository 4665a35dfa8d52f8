"""Query/Retrieve C-MOVE and C-GET (PS3.4 C.4.2, C.4.3): destinations and retrieve plans."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from io import BytesIO

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.filewriter import dcmwrite
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from emulator.errors import UnknownMoveDestination
from emulator.services.context import ServiceContext
from storage import StorageError
from storage.locations import Location


@dataclass(frozen=True, slots=True)
class Destination:
    """Where C-MOVE sub-operations go."""

    ae_title: str
    host: str
    port: int
    registered: bool
    tls_args: tuple[ssl.SSLContext, str] | None = None


def resolve_destination(
    move_destination: str, requestor_host: str, ctx: ServiceContext
) -> Destination:
    """The address of a C-MOVE destination AE title.

    Registered remote AEs are looked up by AE title. An unregistered title is refused
    (0xA801, PS3.4 C.4.2.1.4) unless ``retrieve.unregistered_destination_port`` is set, in
    which case it is the requestor's own address on that port.

    Raises
    ------
    UnknownMoveDestination
        Naming the AE title and how to register it.
    """
    ae_title = move_destination.strip()
    remote = ctx.remotes.lookup(ae_title)
    if remote is not None:
        return Destination(ae_title, remote.host, remote.port, True, remote.tls_args())
    port = ctx.config.retrieve.unregistered_destination_port
    if port and requestor_host:
        return Destination(ae_title, requestor_host, port, registered=False)
    raise UnknownMoveDestination(
        f"move destination {ae_title!r} unknown: register it (--remote-ae)", ae_title
    )


# Uncompressed syntaxes every destination can be offered as a fallback (PS3.5 §10.1, A.2).
UNCOMPRESSED = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)
MAX_CONTEXTS = 128  # PS3.8 §9.3.2.2: presentation context IDs are odd numbers 1-255


@dataclass(frozen=True, slots=True)
class Batch:
    """What one C-MOVE sub-association proposes: a presentation context per (SOP class,
    transfer syntaxes) pair, and the SOP classes they cover."""

    proposals: tuple[tuple[str, tuple[str, ...]], ...]
    sop_classes: tuple[str, ...]


def context_batches(classes: list[tuple[str, str]]) -> list[Batch]:
    """The proposals for C-MOVE sub-associations: each stored (SOP class, transfer syntax) as
    found plus an uncompressed fallback per SOP class, in as many batches of at most 128
    contexts (PS3.8 §9.3.2.2) as the matches need."""
    by_class: dict[str, list[str]] = {}
    for sop_class, transfer_syntax in classes:
        by_class.setdefault(sop_class, []).append(transfer_syntax)
    batches: list[Batch] = []
    proposals: list[tuple[str, tuple[str, ...]]] = []
    members: list[str] = []
    for sop_class, syntaxes in by_class.items():
        wanted = [ts for ts in dict.fromkeys(syntaxes) if ts not in UNCOMPRESSED]
        needed: list[tuple[str, tuple[str, ...]]] = [(sop_class, (ts,)) for ts in wanted]
        needed.append((sop_class, tuple(str(ts) for ts in UNCOMPRESSED)))
        if proposals and len(proposals) + len(needed) > MAX_CONTEXTS:
            batches.append(Batch(tuple(proposals), tuple(members)))
            proposals, members = [], []
        proposals += needed
        members.append(sop_class)
    if proposals:
        batches.append(Batch(tuple(proposals), tuple(members)))
    return batches


def load_instance(ctx: ServiceContext, location: Location) -> Dataset:
    """An indexed instance: a file read lazily (element values stay raw bytes unless
    touched), or a fabricated instance synthesized from its recipe."""
    return ctx.instances.dataset(location)


# Bytes per value of the VRs pydicom leaves to the caller when changing endianness.
_SWAP_WIDTH = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}


def little_endian(ds: Dataset) -> Dataset:
    """*ds* (Explicit VR Big Endian, retired) re-encoded as Explicit VR Little Endian.

    pydicom converts every value on write except those of the O* VRs, which are swapped here
    (its dcmwrite documentation says so); the dataset is then read back, so that it carries
    its new encoding.
    """
    for elem in ds.iterall():
        width = _SWAP_WIDTH.get(elem.VR)
        if width and isinstance(elem.value, bytes):
            values = np.frombuffer(elem.value, dtype=f">u{width}")
            elem.value = values.astype(f"<u{width}").tobytes()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buffer = BytesIO()
    dcmwrite(buffer, ds, little_endian=True, implicit_vr=False)
    buffer.seek(0)
    return dcmread(buffer)


def decompressed(ds: Dataset) -> Dataset:
    """*ds* decoded to Explicit VR Little Endian, for a destination that takes only
    uncompressed syntaxes. RLE always works; JPEG and JPEG 2000 need pydicom's optional
    pixel data plugins.

    Raises
    ------
    storage.StorageError
        If the pixel data cannot be decompressed here.
    """
    try:
        # the same instance, not a new one (pydicom would generate a new SOP Instance UID)
        ds.decompress(generate_instance_uid=False)
    except Exception as exc:
        syntax = ds.file_meta.TransferSyntaxUID
        why = " ".join(str(exc).split())[:300]
        raise StorageError(
            f"cannot decompress {syntax.name} here ({why}); pip install"
            " 'dicom-fabricator[jpeg]' decodes JPEG, JPEG-LS and JPEG 2000, and"
            " '[jpeg-gpl]' 12-bit JPEG Extended"
        ) from exc
    return ds
