"""What scenario rules match in a data set: its top-level attributes as text.

A rule's ``query`` and ``dataset`` match keyword -> value text; this is that text, from a
C-FIND identifier, a C-STORE data set, an N-CREATE or N-SET attribute list, or a simulated
acquisition's worklist item and images.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydicom.dataset import Dataset


def summary(ds: Dataset | None) -> dict[str, str]:
    """Top-level keyword → value text of *ds* (what ``query`` and ``dataset`` match)."""
    if ds is None:
        return {}
    out = {}
    for elem in ds:
        if elem.keyword and elem.VR != "SQ":
            value = elem.value
            out[elem.keyword] = "" if value is None else str(value)
    return out


class LazySummary(Mapping[str, str]):
    """:func:`summary` of a dataset decoded only if a rule looks at it (C-STORE data sets)."""

    def __init__(self, load: Any) -> None:
        self._load = load
        self._values: dict[str, str] | None = None

    def _get(self) -> dict[str, str]:
        if self._values is None:
            try:
                self._values = summary(self._load())
            except Exception:  # an undecodable data set matches nothing; C-STORE reports it
                self._values = {}
        return self._values

    def __getitem__(self, key: str) -> str:
        return self._get()[key]

    def __iter__(self) -> Any:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())
