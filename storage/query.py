"""A query over one level of the index, as the matcher compiles it and the index runs it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

MAX_PAGE = 2000  # rows: the largest page a query is read in (a few MB at most)


@dataclass(frozen=True, slots=True)
class Query:
    """A SELECT over one level, run page by page in primary key order (keyset pagination)."""

    select: str
    source: str
    where: tuple[str, ...]
    params: tuple[Any, ...]
    key: str

    def of_classes(self, sop_classes: tuple[str, ...]) -> Query:
        """This query limited to instances of *sop_classes* (an instance-level query: one
        sub-association's share of a C-MOVE)."""
        marks = ", ".join("?" for _ in sop_classes)
        return replace(
            self,
            where=(*self.where, f"i.sop_class_uid IN ({marks})"),
            params=(*self.params, *sop_classes),
        )


def page_sizes(first: int) -> Iterator[int]:
    """The sizes of a query's pages: *first*, then each twice the one before, up to
    :data:`MAX_PAGE` (or *first*, if larger). Each page is a new SELECT, and a query whose
    filter picks an index other than the key's (a name's) reads and sorts every match again
    for each page: growing pages make that a few times, not once per hundred matches."""
    size = first
    while True:
        yield size
        size = max(first, min(size * 2, MAX_PAGE))
