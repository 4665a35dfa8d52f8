"""Modules that load on first use, and hooks that run once a named module has loaded.

A deferred module is imported as usual, but what lands in ``sys.modules`` is a stand-in:
``import numpy as np`` binds it and runs nothing. The first attribute read from it (``np.
ndarray``, ``from numpy import x``, importing a submodule) imports the real module, copies
its names into the stand-in and, from then on, forwards anything it lacks; ``sys.modules``
holds the real module again, so later imports get that. The standard library's
``importlib.util.LazyLoader`` does the same but, on Python 3.11, loads the module the second
time anything imports it (the import system reads its ``__spec__``), and pydicom imports
numpy in a dozen modules.

Only the process's entry point (``emulator.launch``) installs this: a program that imports
``emulator`` keeps its imports as they are.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import ModuleType
from typing import Any

# set on a stand-in (its __dict__, so reading them never loads the module)
_STATE = "_deferred_state"


class _State:
    """What a stand-in needs to become its module."""

    def __init__(self, finder: DeferringFinder, package: bool) -> None:
        self.finder = finder
        self.package = package
        self.armed = False  # False while the import system sets the module's attributes
        self.real: ModuleType | None = None
        self.lock = threading.RLock()


class DeferredModule(ModuleType):
    """Stands in ``sys.modules`` for a module that has not run yet (see the module doc)."""

    def __getattr__(self, name: str) -> Any:  # only names the stand-in does not have
        state: _State = self.__dict__[_STATE]
        if not state.armed or (name == "__path__" and not state.package):
            raise AttributeError(name)
        return getattr(_load(self, state), name)


def _load(stand_in: DeferredModule, state: _State) -> ModuleType:
    with state.lock:
        if state.real is None:
            name = stand_in.__name__
            state.finder.release(name)
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
            real = importlib.import_module(name)
            stand_in.__dict__.update(real.__dict__)
            state.real = real
        return state.real


class _DeferredLoader(importlib.abc.Loader):
    def __init__(self, finder: DeferringFinder, package: bool) -> None:
        self.finder = finder
        self.package = package

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = DeferredModule(spec.name)
        module.__dict__[_STATE] = _State(self.finder, self.package)
        return module

    def exec_module(self, module: ModuleType) -> None:
        # the import system set __path__ for a package: reading it must load the package,
        # or a submodule would run before the package's own __init__
        module.__dict__.pop("__path__", None)
        module.__dict__[_STATE].armed = True


class _ThenLoader(importlib.abc.Loader):
    """Runs a module with its own loader, then a hook on it."""

    def __init__(self, loader: importlib.abc.Loader, then: Callable[[ModuleType], None]) -> None:
        self.loader = loader
        self.then = then

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        module.__loader__ = self.loader  # tracebacks read the module's source through it
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        self.then(module)


class DeferringFinder(importlib.abc.MetaPathFinder):
    """Finds modules as the finders after it do, deferring *names* and running *after*
    hooks once their module has run."""

    def __init__(
        self, names: Iterable[str], after: Mapping[str, Callable[[ModuleType], None]]
    ) -> None:
        self.names = set(names)
        self.after = dict(after)

    def release(self, name: str) -> None:
        """Stop deferring *name*: its stand-in is loading it."""
        self.names.discard(name)

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name not in self.names and name not in self.after:
            return None
        spec = self._others(name, path, target)
        if spec is None or spec.loader is None:
            return spec
        if name in self.names:
            package = spec.submodule_search_locations is not None
            spec.loader = _DeferredLoader(self, package)
        else:
            spec.loader = _ThenLoader(spec.loader, self.after.pop(name))
        return spec

    def _others(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None
    ) -> importlib.machinery.ModuleSpec | None:
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                return spec
        return None


def install(
    names: Iterable[str], after: Mapping[str, Callable[[ModuleType], None]] | None = None
) -> DeferringFinder:
    """Defer *names* and run the *after* hooks, in this process, from now on (once: a second
    call returns the finder the first installed)."""
    for finder in sys.meta_path:
        if isinstance(finder, DeferringFinder):
            return finder
    finder = DeferringFinder(names, after or {})
    sys.meta_path.insert(0, finder)
    return finder


def is_deferred(module: object) -> bool:
    """Whether *module* is a stand-in that has not loaded its module yet."""
    return isinstance(module, DeferredModule) and module.__dict__[_STATE].real is None
