"""Which transfer syntax an accepted presentation context gets: the requestor's first choice
that the emulator supports, a retired one (Explicit VR Big Endian) only when nothing else is.

PS3.8 9.3.2.2 lets the acceptor accept any one of a context's proposed transfer syntaxes.
pynetdicom takes the first of its own list that was proposed (by design: its issue 1085),
and the emulator's list starts with Implicit VR Little Endian. So a modality that proposed
[JPEG Lossless, Explicit VR Little Endian, Implicit VR Little Endian] in one context had to
decompress its images and drop their VRs to send them, and a client that proposed Explicit
VR before Implicit VR got Implicit VR (dcm4che, for one, takes the requestor's order). An
archive that keeps what it is sent takes what the sender prefers.

Explicit VR Big Endian, retired in PS3.5, goes last: DCMTK's storescu proposes it ahead of
Implicit VR Little Endian in the context meant for its Implicit VR files, which then go as
they are (with it first, storescu would convert them).

:func:`prefer_requestor` runs after pynetdicom's negotiation (abstract syntaxes, roles,
results and rejections stay its own), before the A-ASSOCIATE-AC is sent
(:class:`emulator.dicom.faults.FaultACSE`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydicom.uid import UID
from pynetdicom.presentation import PresentationContext


def prefer_requestor(
    accepted: Mapping[int, PresentationContext],
    proposed: Iterable[PresentationContext],
    supported: Iterable[PresentationContext],
) -> None:
    """Give each *accepted* context (by context ID) the first transfer syntax, in the order
    of its *proposed* context, that the acceptor's context of its abstract syntax lists
    (*supported*, as negotiation had them), a retired one only if no other is listed."""
    offers = {cx.context_id: cx.transfer_syntax for cx in proposed}
    ours: dict[str, list[UID]] | None = None  # built at the first context that needs it
    for context_id, context in accepted.items():
        offered = offers.get(context_id, [])
        if len(offered) < 2 or context.transfer_syntax[0] == offered[0]:
            continue  # one proposal, or the requestor's first already
        if ours is None:
            ours = {str(cx.abstract_syntax): cx.transfer_syntax for cx in supported}
        listed = ours.get(str(context.abstract_syntax), [])
        candidates = [syntax for syntax in offered if syntax in listed]
        if candidates:  # the requestor's order, retired syntaxes after the others
            context.transfer_syntax = [min(candidates, key=_retired)]


def _retired(syntax: str) -> bool:
    return UID(syntax).is_retired
