"""What is wrong with a scenario, each problem with its file, line and field.

Kept apart from the loader so that code which only reports problems does not import
jsonschema and PyYAML.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scenario file."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field or '(top)'}: {self.message}"


class ScenarioError(Exception):
    """A scenario that cannot be used; ``problems`` lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
