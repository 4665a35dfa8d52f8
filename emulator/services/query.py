"""Query/Retrieve C-FIND (PS3.4 C.4.1): validate, match in SQL, stream responses."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pydicom.dataset import Dataset

from emulator.errors import CANCEL, PENDING
from emulator.services.context import ServiceContext
from storage import FindRequest, Model, StorageError, build_response, parse_find

_QIDO_ONLY = (0x00080052, 0x00080054)  # QueryRetrieveLevel, RetrieveAETitle

log = logging.getLogger(__name__)


def _header_loader(ctx: ServiceContext) -> Callable[[int], Dataset | None]:
    def load(pk: int) -> Dataset | None:
        try:
            return ctx.instances.header_of(pk)
        except StorageError as exc:
            log.warning("cannot read return keys: %s", exc)
            return None

    return load


def prepare(identifier: Dataset, model: Model, ctx: ServiceContext) -> FindRequest:
    """Validate *identifier* for *model*; raises ``storage.InvalidIdentifier``."""
    return parse_find(identifier, model, ctx.match_options)


def find(
    request: FindRequest, ctx: ServiceContext, is_cancelled: Callable[[], bool]
) -> Iterator[tuple[int, Dataset | None]]:
    """Yield ``(PENDING, identifier)`` per match, or ``(CANCEL, None)`` once cancelled.

    When the generator ends without a cancel, pynetdicom sends the final Success.
    """
    load = _header_loader(ctx)
    for row in ctx.index.iter_rows(request.query):
        if is_cancelled():
            # PS3.4 C.4.1.2.3: matching terminated due to Cancel request
            yield CANCEL, None
            return
        yield PENDING, build_response(row, request, ctx.ae_title, load, for_the_wire=True)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a search's matches, and whether more matched after it."""

    matches: list[Dataset]
    more: bool


def search(
    identifier: Dataset, ctx: ServiceContext, relational: bool, offset: int, limit: int
) -> Page:
    """A QIDO-RS search (PS3.18 10.6): the C-FIND matcher on the Study Root model, relational
    when *relational* (no unique key above the level needed), matches *offset* to
    *offset* + *limit* in index order. Raises ``storage.InvalidIdentifier``."""
    request = parse_find(identifier, Model.STUDY_ROOT, ctx.match_options, relational)
    load = _header_loader(ctx)
    matches: list[Dataset] = []
    for n, row in enumerate(ctx.index.iter_rows(request.query, page_size=500)):
        if n < offset:
            continue
        if len(matches) == limit:
            return Page(matches, more=True)
        ds = build_response(row, request, ctx.ae_title, load)
        for tag in _QIDO_ONLY:
            del ds[tag]
        matches.append(ds)
    return Page(matches, more=False)
