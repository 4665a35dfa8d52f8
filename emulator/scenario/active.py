"""The scenario in force: loaded from a file or given as data, swapped atomically.

A running emulator has at most one scenario. Replacing it (SIGHUP reload, the admin API) first
validates the new one; a scenario with problems is refused and the old one stays active.
Replacing or resetting it cancels every delay and hang in flight under the old engine, so a
reset never leaves a client waiting on a fault that no longer exists.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from emulator.logfmt import kv
from emulator.scenario.engine import Decision, Engine, Event
from emulator.scenario.loader import load, parse

log = logging.getLogger("emulator.scenario")


class ActiveScenario:
    """The active scenario's engine, or none. Thread-safe; reading :attr:`engine` is atomic."""

    def __init__(self, seed: int | None = None) -> None:
        self.path: Path | None = None  # the file SIGHUP reloads
        self.seed = seed  # --seed: overrides the file's seed for every scenario loaded
        self.source = ""  # where the active scenario came from (a path, "api")
        self._data: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self.engine: Engine | None = None

    def load_file(self, path: Path) -> Engine:
        """Read, check and activate the scenario file at *path* (see :meth:`reload`)."""
        engine = self._activate(load(path), str(path))
        self.path = path
        return engine

    def decide(self, event: Event) -> Decision | None:
        """The rule that fires for *event* under the active scenario, if any."""
        engine = self.engine
        return engine.decide(event) if engine is not None else None

    def reload(self) -> Engine:
        """Read the scenario file again and activate it.

        Raises
        ------
        ScenarioError
            With every problem; the scenario in force stays active.
        LookupError
            When the emulator was started without a scenario file.
        """
        if self.path is None:
            raise LookupError("no scenario file to reload: start with --scenario FILE")
        return self._activate(load(self.path), str(self.path))

    def replace(self, text: str, name: str = "api") -> Engine:
        """Validate a scenario given as YAML or JSON text and activate it (see :meth:`reload`)."""
        return self._activate(parse(text, name), name)

    def reset(self) -> None:
        """Start the active scenario over: counters, random streams, stages, firings."""
        with self._lock:
            if self._data is not None:
                self._swap(Engine(self._data, self.seed))

    def clear(self) -> None:
        """Deactivate the scenario: no rule fires any more."""
        with self._lock:
            self._data, self.source = None, ""
            self._swap(None)

    def stop(self) -> None:
        """Cancel the delays and hangs in flight (the emulator is stopping)."""
        engine = self.engine
        if engine is not None:
            engine.cancel()

    def summary(self) -> dict[str, Any] | None:
        """The active scenario's name, source, seed, stage and rules, for health and logs."""
        engine = self.engine
        if engine is None:
            return None
        return {
            "name": engine.name,
            "source": self.source,
            "seed": engine.seed,
            "stage": engine.stage or None,
            "rules": engine.summary(),
        }

    def _activate(self, data: dict[str, Any], source: str) -> Engine:
        engine = Engine(data, self.seed)
        with self._lock:
            self._data, self.source = data, source
            self._swap(engine)
        log.info(
            kv(
                event="scenario",
                name=engine.name,
                source=source,
                seed=engine.seed,
                rules=len(engine.summary()),
            )
        )
        return engine

    def _swap(self, engine: Engine | None) -> None:
        old, self.engine = self.engine, engine
        if old is not None:
            old.cancel()
