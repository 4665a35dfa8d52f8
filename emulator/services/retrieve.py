"""Query/Retrieve C-MOVE and C-GET (PS3.4 C.4.2, C.4.3): destinations and retrieve plans."""

from __future__ import annotations

from dataclasses import dataclass

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom.presentation import PresentationContext, build_context

from emulator.dicom.context import ServiceContext
from emulator.errors import UnknownMoveDestination
from storage import Model, RetrieveRequest, StorageError, parse_retrieve


@dataclass(frozen=True, slots=True)
class Destination:
    """Where C-MOVE sub-operations go."""

    ae_title: str
    host: str
    port: int
    registered: bool


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
        return Destination(ae_title, remote.host, remote.port, registered=True)
    port = ctx.config.retrieve.unregistered_destination_port
    if port and requestor_host:
        return Destination(ae_title, requestor_host, port, registered=False)
    raise UnknownMoveDestination(
        f"move destination {ae_title!r} unknown: register it (--remote-ae)", ae_title
    )


def plan(identifier: Dataset, model: Model, ctx: ServiceContext) -> RetrieveRequest:
    """Validate a retrieve identifier; raises ``storage.InvalidIdentifier``."""
    return parse_retrieve(identifier, model)


# Uncompressed syntaxes every destination can be offered as a fallback (PS3.5 §10.1, A.2).
UNCOMPRESSED = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)
MAX_CONTEXTS = 128  # PS3.8 §9.3.2.2: presentation context IDs are odd numbers 1-255


def sub_association_contexts(
    classes: list[tuple[str, str]],
) -> tuple[list[PresentationContext], set[str]]:
    """Contexts for a C-MOVE sub-association: each stored (SOP class, transfer syntax) as
    found, plus an uncompressed fallback per SOP class, within the 128-context limit.

    Returns the contexts and the SOP classes left out for lack of room (their instances
    fail as sub-operations).
    """
    contexts: list[PresentationContext] = []
    left_out: set[str] = set()
    by_class: dict[str, list[str]] = {}
    for sop_class, transfer_syntax in classes:
        by_class.setdefault(sop_class, []).append(transfer_syntax)
    for sop_class, syntaxes in by_class.items():
        wanted = [ts for ts in dict.fromkeys(syntaxes) if ts not in UNCOMPRESSED]
        if len(contexts) + len(wanted) + 1 > MAX_CONTEXTS:
            left_out.add(sop_class)
            continue
        contexts += [build_context(sop_class, ts) for ts in wanted]
        contexts.append(build_context(sop_class, list(UNCOMPRESSED)))
    return contexts, left_out


def load_instance(ctx: ServiceContext, path: str) -> Dataset:
    """A stored instance, read lazily: element values stay raw bytes unless touched."""
    with ctx.files.open(path) as f:
        return dcmread(f)


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
        ds.decompress()
    except Exception as exc:
        syntax = ds.file_meta.TransferSyntaxUID
        raise StorageError(f"cannot decompress {syntax.name}: {exc}") from exc
    return ds
