"""A query over one level of the index, as the matcher compiles it and the index runs it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any


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
