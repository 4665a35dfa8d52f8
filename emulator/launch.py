"""The process entry point of ``dicom-fabricator`` and ``python -m emulator``.

Before the command line loads anything, it defers the modules the emulator never uses but a
library imports at start: pydicom imports ``requests`` (~65 ms, a third of its own import)
for downloading its test files. A deferred module loads on first use (the standard
library's ``importlib.util.LazyLoader``), so nothing changes but the start. Only the process's
own entry does this: a program that imports ``emulator`` keeps its imports as they are.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

DEFERRED = ("requests",)


class _Deferring(importlib.abc.MetaPathFinder):
    """Finds *names* as the other finders do, with a loader that runs them on first use."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name not in self.names:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = importlib.util.LazyLoader(spec.loader)
                return spec
        return None


def defer_imports(names: Sequence[str] = DEFERRED) -> None:
    """Load *names* on first use from now on, in this process (idempotent)."""
    if not any(isinstance(finder, _Deferring) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Deferring(names))


def main() -> int:
    """Run the command line with the deferred imports in place."""
    defer_imports()
    from emulator.cli import main as command_line

    return command_line()
