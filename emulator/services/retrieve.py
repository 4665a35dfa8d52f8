"""Query/Retrieve C-MOVE and C-GET (PS3.4 C.4.2, C.4.3): destinations and retrieve plans."""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.dataset import Dataset

from emulator.dicom.context import ServiceContext
from emulator.errors import UnknownMoveDestination
from storage import Model, RetrieveRequest, parse_retrieve


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
