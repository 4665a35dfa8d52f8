"""How a setting is declared: a dataclass field with its help, flag and bounds."""

from __future__ import annotations

from dataclasses import field
from typing import Any


def setting(default: Any, help: str, flag: str | None = None, **checks: Any) -> Any:
    """A config field with its help text, command-line flag and validation bounds."""
    return field(default=default, metadata={"help": help, "flag": flag, **checks})
