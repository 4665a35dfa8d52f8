"""Where an instance is: a file of the store, or a recipe that synthesizes it.

The instances table says it in explicit columns: ``path`` (a file path relative to the data
directory) for instances received by C-STORE or fabricated with ``--materialize``, or
``recipe_pk`` and the instance's position in that recipe (``recipe_patient``,
``recipe_study``, ``recipe_series``, ``recipe_instance``) for fabricated instances synthesized
on demand, with ``path`` NULL. In Python a location is a :data:`Location`: the path as a
``str``, or a :class:`Recipe`. This module is the one place that maps between the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple


class Position(NamedTuple):
    """Where an instance lies in its fabrication spec: patient, study, series and instance
    indexes (``storage.fabrication_spec`` makes them)."""

    patient: int
    study: int
    series: int
    instance: int


@dataclass(frozen=True, slots=True)
class Recipe:
    """A synthesized instance: recipe *pk* (a fabrication spec) at *position*."""

    pk: int
    position: Position

    def __str__(self) -> str:
        return f"recipe {self.pk} at {tuple(self.position)}"


Location = str | Recipe
"""A file path relative to the data directory, or a recipe."""

_POSITION_COLUMNS = ("recipe_patient", "recipe_study", "recipe_series", "recipe_instance")
COLUMNS: dict[str, type] = {"recipe_pk": int, **dict.fromkeys(_POSITION_COLUMNS, int)}
"""The instances table's recipe columns (``path`` is one of the level's own)."""

# SQL conditions on the instances table
FABRICATED = "recipe_pk IS NOT NULL"
RECEIVED = "recipe_pk IS NULL"


_NAMES = ("path", *COLUMNS)


def select(alias: str = "i") -> str:
    """The SELECT list that reads a location (see :func:`from_row`)."""
    return ", ".join(f"{alias}.{c} AS {c}" for c in _NAMES)


def values(location: Location) -> dict[str, Any]:
    """The instances row's location columns for *location*."""
    if isinstance(location, Recipe):
        position = dict(zip(_POSITION_COLUMNS, location.position, strict=True))
        return {"path": None, "recipe_pk": location.pk, **position}
    return {"path": location, "recipe_pk": None, **dict.fromkeys(_POSITION_COLUMNS)}


def from_row(row: Any) -> Location:
    """The location a row read with :func:`select` names: a ``sqlite3.Row`` or mapping with
    those names, or a plain tuple of just those columns in :func:`select`'s order."""
    path, recipe, *position = row if isinstance(row, tuple) else (row[c] for c in _NAMES)
    if recipe is None:
        return str(path)
    return Recipe(int(recipe), Position(*(int(n) for n in position)))


def is_file(location: Location) -> bool:
    """Whether *location* is a file (False: synthesized from a recipe)."""
    return isinstance(location, str)


@dataclass(frozen=True, slots=True)
class StoredInstance:
    """Where one indexed instance lives."""

    sop_instance_uid: str
    sop_class_uid: str
    transfer_syntax_uid: str
    location: Location
    size: int
