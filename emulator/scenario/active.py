"""The scenario in force: loaded from a file or given as data, swapped atomically.

A running emulator has at most one scenario. Replacing it (SIGHUP reload, the admin API) first
validates the new one; a scenario with problems is refused and the old one stays active.
Replacing or resetting it cancels every delay and hang in flight under the old engine, so a
reset never leaves a client waiting on a fault that no longer exists.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from emulator.logfmt import kv
from emulator.scenario.engine import Decision, Engine, Event

log = logging.getLogger("emulator.scenario")


class ActiveScenario:
    """The active scenario's engine, or none. Thread-safe; reading :attr:`engine` is atomic."""

    def __init__(self, seed: int | None = None) -> None:
        self.path: Path | None = None  # the file SIGHUP reloads
        self.seed = seed  # --scenario-seed: overrides the file's seed for every scenario loaded
        self.source = ""  # where the active scenario came from (a path, "api")
        self._data: dict[str, Any] | None = None
        self._file_data: dict[str, Any] | None = None  # the --scenario file, as last read
        self._added: list[tuple[dict[str, Any], bool]] = []  # rules added at run time
        self._removed: set[str] = set()  # ids of rules removed at run time
        self._adhoc: dict[str, Any] = {"name": "api", "rules": []}  # made by add_rule alone
        self._lock = threading.Lock()
        self.engine: Engine | None = None

    def load_file(self, path: Path) -> Engine:
        """Read, check and activate the scenario file at *path* (see :meth:`reload`)."""
        from emulator.scenario.loader import load  # jsonschema and PyYAML: only when used

        data = load(path)
        engine = self._activate(data, str(path))
        self.path, self._file_data = path, data
        return engine

    def decide(self, event: Event) -> Decision | None:
        """The rule that fires for *event* under the active scenario, if any."""
        engine = self.engine
        return engine.decide(event) if engine is not None else None

    def fire(
        self,
        event: Event,
        note: Callable[[str], object] | None = None,
        logger: logging.Logger = log,
    ) -> tuple[Decision, Engine] | None:
        """The rule that fires for *event*, if any, with the engine that decided (whose
        waits a reset ends): noted with *note* (``rule:action``, for the journal's record)
        and logged on one line."""
        engine = self.engine
        if engine is None:
            return None
        decision = engine.decide(event)
        if decision is None:
            return None
        if note is not None:
            note(decision.label)
        logger.info(
            kv(
                assoc=event.association or None,
                phase=event.phase,
                service=event.service or None,
                fault=decision.label,
                stage=decision.stage or None,
            )
        )
        return decision, engine

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
        from emulator.scenario.loader import load

        data = load(self.path)
        engine = self._activate(data, str(self.path))
        self._file_data = data
        return engine

    def replace(self, text: str, name: str = "api") -> Engine:
        """Validate a scenario given as YAML or JSON text and activate it (see :meth:`reload`)."""
        from emulator.scenario.loader import parse

        return self._activate(parse(text, name), name)

    def reset(self) -> None:
        """Start the active scenario over: counters, random streams, stages, firings (rules
        added at run time stay)."""
        with self._lock:
            if self._data is not None:
                self._swap(self._engine())

    def restore(self) -> None:
        """Back to the scenario the emulator was started with (a reset): the ``--scenario``
        file as last read, started over, or none. A scenario loaded at run time (the admin
        API, ``load_scenario``) and rules added at run time go."""
        with self._lock:
            self._added.clear()
            self._removed.clear()
            if self._file_data is not None and self.path is not None:
                self._data, self.source = self._file_data, str(self.path)
                self._swap(self._engine())
            else:
                self._data, self.source = None, ""
                self._swap(None)

    def clear(self) -> None:
        """Deactivate the scenario: no rule fires any more."""
        with self._lock:
            self._data, self.source = None, ""
            self._added.clear()
            self._removed.clear()
            self._swap(None)

    def add_rule(self, text: str, first: bool = True, name: str = "api") -> str:
        """Validate one rule (YAML or JSON text) and add it to the scenario in force (an
        empty one named ``api`` if there is none), before its rules unless *first* is
        False; the other rules keep their counters. Returns the rule's id.

        Raises
        ------
        ScenarioError
            With every problem of the rule; nothing changes.
        """
        with self._lock:
            if self._data is None:
                self._data, self.source = self._adhoc, "api"
                self._swap(Engine(self._data, self.seed))
            from emulator.scenario.bounds import check_rules
            from emulator.scenario.loader import parse_rule

            engine = cast(Engine, self.engine)
            check_rules(len(engine.rule_ids) + 1, name)
            rule = parse_rule(text, name, engine.stages, engine.rule_ids)
            rule_id = engine.add_rule(rule, first)
            self._added.append(({**rule, "id": rule_id}, first))
            return rule_id

    def remove_rules(self, rule_id: str | None = None, label: str | None = None) -> list[str]:
        """Remove a rule by id, or every rule with a label, until the scenario is restored
        or replaced; the ids removed."""
        with self._lock:
            engine = self.engine
            if engine is None:
                return []
            removed = engine.remove_rules(rule_id, label)
            self._removed.update(removed)
            self._added = [
                (rule, first) for rule, first in self._added if rule["id"] not in removed
            ]
            return removed

    def document(self) -> dict[str, Any] | None:
        """The scenario in force as data: the loaded document with rules added at run time."""
        with self._lock:
            if self._data is None:
                return None
            rules = [rule for rule, first in reversed(self._added) if first]
            rules += [
                rule
                for n, rule in enumerate(self._data.get("rules", []))
                if rule.get("id", f"rule-{n + 1}") not in self._removed
            ]
            rules += [rule for rule, first in self._added if not first]
            return {**self._data, "rules": rules}

    def _engine(self) -> Engine:
        assert self._data is not None
        engine = Engine(self._data, self.seed)
        for rule, first in self._added:
            engine.add_rule(rule, first)
        for rule_id in self._removed:
            engine.remove_rules(rule_id)
        return engine

    def interrupt(self) -> None:
        """End the delays and hangs in flight, keeping the scenario and its state."""
        engine = self.engine
        if engine is not None:
            engine.interrupt()

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
            self._added.clear()
            self._removed.clear()
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
