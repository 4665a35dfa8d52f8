"""Where an instance is: a file of the store, or a recipe that synthesizes it.

The index's ``path`` column holds either a file path relative to the data directory or a
recipe location, ``fab:<recipe>:<p>:<s>:<se>:<i>`` (``storage.fabrication_spec.location``). This is
the one place that knows how to tell them apart, in Python and in SQL.
"""

from __future__ import annotations

RECIPE_SCHEME = "fab:"

# SQL conditions on the instances table's path column
FABRICATED = f"path LIKE '{RECIPE_SCHEME}%'"
RECEIVED = f"path NOT LIKE '{RECIPE_SCHEME}%'"


def is_recipe(location: str) -> bool:
    """Whether *location* is a recipe's (synthesized on demand), not a file's."""
    return location.startswith(RECIPE_SCHEME)
