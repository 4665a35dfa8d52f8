"""The scenario engine's decision core: which rule fires for an event, deterministically.

Rules are tried in file order and the first that fires wins (per phase: an event has one
phase). A rule fires when its ``match`` matches the event, its occurrence filter (``first``,
``nth``, ``every``) admits this match, it has firings left (``times``) and its draw passes
(``probability``). Counters and random streams belong to the rule and its scope key (one per
calling AE, per association, or one for all), and each stream is seeded from
sha256(seed, rule id, scope key): what a client sees depends only on its own events, never on
how other clients' events interleave. Stage changes (``then_stage``, transitions) happen under
the same lock as the decision, so a stage is never read half changed.

Applying actions on the wire is the DICOM layer's job; this module only decides.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import os
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from emulator.scenario.keywords import sop_uid


@dataclass(frozen=True, slots=True)
class Event:
    """What the DICOM layer knows at a hook point."""

    phase: str
    service: str = ""
    calling_ae: str = ""
    called_ae: str = ""
    username: str = ""  # of the A-ASSOCIATE-RQ's User Identity (types 1 and 2), else ""
    peer: str = ""
    association: int = 0
    request: int = 0  # the journal id of the DIMSE request (response, suboperation phases)
    sop_class: str = ""
    transfer_syntax: str = ""
    query_level: str = ""
    query: Mapping[str, str] = field(default_factory=dict)  # keyword → value ("" when empty)
    move_destination: str = ""
    dataset: Mapping[str, str] = field(default_factory=dict)
    method: str = ""  # http phase: the request's method, path under the prefix, Accept
    path: str = ""
    accept: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """A rule that fired: its id, its action and the action's parameters.

    ``delay_ms`` is the delay drawn for a ``delay`` action (or a ``hang``'s ``ms``); ``rng``
    is a random stream of this decision's own, for the draws an action makes later (the
    sub-operations a ``fail_suboperations`` ratio fails), seeded from the rule's stream so
    that it repeats with the seed.
    """

    rule: str
    action: str
    params: Mapping[str, Any]
    stage: str = ""  # the stage the decision was taken in
    delay_ms: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(0), compare=False)

    @property
    def label(self) -> str:
        """``rule-id:action`` as the journal and the log show it."""
        return f"{self.rule}:{self.action}"


def status_code(value: Any) -> int:
    """A status as a scenario file gives it (an integer or a hex string such as 0xA700)."""
    return int(value, 16) if isinstance(value, str) else int(value)


@dataclass
class _Rule:
    id: str
    match: dict[str, Any]
    action: str
    params: dict[str, Any]
    times: int | None
    probability: float
    first: int | None
    nth: int | None
    every: int | None
    scope: str
    then_stage: str | None
    labels: tuple[str, ...] = ()
    fired: int = 0
    matches: dict[str, int] = field(default_factory=dict)  # scope key → matches seen
    streams: dict[str, random.Random] = field(default_factory=dict)


def _matches(match: dict[str, Any], event: Event, stage: str) -> bool:
    for key, wanted in match.items():
        if key == "phase":
            ok = event.phase == wanted
        elif key in ("calling_ae", "called_ae", "username", "move_destination", "path", "accept"):
            ok = fnmatchcase(getattr(event, key).strip(), wanted)
        elif key == "peer":
            ok = _peer(event.peer, wanted)
        elif key in ("sop_class", "transfer_syntax"):
            ok = getattr(event, key) == wanted
        elif key == "query":
            ok = all(_query(event.query, keyword, op) for keyword, op in wanted.items())
        elif key == "dataset":
            ok = all(fnmatchcase(event.dataset.get(k, ""), v) for k, v in wanted.items())
        elif key == "stage":
            ok = stage == wanted
        else:  # service, query_level
            ok = getattr(event, key) == wanted
        if not ok:
            return False
    return True


def _delay_ms(action: str, params: Mapping[str, Any], stream: random.Random) -> float:
    """The milliseconds a ``delay`` (fixed, uniform or lognormal) or ``hang`` waits."""
    if action == "hang":
        return float(params.get("ms", 0))
    if action != "delay":
        return 0.0
    if "ms" in params:
        return float(params["ms"])
    if "uniform" in params:
        lo, hi = params["uniform"]["min_ms"], params["uniform"]["max_ms"]
        return stream.uniform(min(lo, hi), max(lo, hi))
    shape = params["lognormal"]
    drawn = stream.lognormvariate(math.log(max(shape["median_ms"], 1e-3)), shape["sigma"])
    return float(min(drawn, shape.get("max_ms", drawn)))


def _peer(address: str, wanted: str) -> bool:
    if "/" not in wanted:
        return address == wanted
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(wanted, strict=False)
    except ValueError:
        return False


def _query(query: Mapping[str, str], keyword: str, op: Mapping[str, Any]) -> bool:
    if "present" in op:
        return keyword in query
    if "absent" in op:
        return keyword not in query
    if "empty" in op:
        return not query.get(keyword, "")
    if keyword not in query:
        return False
    if "equals" in op:
        return bool(query[keyword] == op["equals"])
    return fnmatchcase(query[keyword], str(op["glob"]))


class Engine:
    """Decides, for each event, which rule of a (validated) scenario fires. Thread-safe."""

    def __init__(self, scenario: Mapping[str, Any], seed: int | None = None) -> None:
        self.name = str(scenario.get("name", ""))
        chosen = seed if seed is not None else scenario.get("seed")
        # uniform in [0, 2**31), as secrets.randbelow(2**31), without importing secrets at start
        fresh = int.from_bytes(os.urandom(4), "big") >> 1
        self.seed: int = int(chosen) if chosen is not None else fresh
        stages = scenario.get("stages") or {}
        self._initial = str(stages.get("initial", ""))
        self._states = tuple(stages.get("states", ()))
        self._added = 0
        self._transitions = list(stages.get("transitions", []))
        self._lock = threading.Lock()
        self._rules = [self._rule(n, r) for n, r in enumerate(scenario.get("rules", []))]
        self._stage = self._initial
        self._entered = time.monotonic()
        self._stage_matches = 0
        self.cancelled = threading.Event()

    @staticmethod
    def _rule(n: int, rule: Mapping[str, Any]) -> _Rule:
        match = dict(rule["match"])
        for key in ("sop_class", "transfer_syntax"):
            if key in match:
                match[key] = sop_uid(match[key])
        [(action, params)] = rule["action"].items()
        return _Rule(
            id=str(rule.get("id", f"rule-{n + 1}")),
            match=match,
            action=action,
            params=dict(params or {}),
            times=rule.get("times"),
            probability=float(rule.get("probability", 1.0)),
            first=rule.get("first"),
            nth=rule.get("nth"),
            every=rule.get("every"),
            scope=str(rule.get("scope", "global")),
            then_stage=rule.get("then_stage"),
            labels=tuple(rule.get("labels", ())),
        )

    @property
    def stage(self) -> str:
        with self._lock:
            self._advance()
            return self._stage

    def decide(self, event: Event) -> Decision | None:
        """The first rule that fires for *event*, or None."""
        with self._lock:
            self._advance()
            stage = self._stage
            for rule in self._rules:
                if not _matches(rule.match, event, stage):
                    continue
                key = self._scope_key(rule, event)
                seen = rule.matches[key] = rule.matches.get(key, 0) + 1
                if not self._fires(rule, key, seen):
                    continue
                rule.fired += 1
                self._stage_matches += 1
                if rule.then_stage and rule.then_stage != self._stage:
                    self._enter(rule.then_stage)
                stream = self._stream(rule, key)
                return Decision(
                    rule.id,
                    rule.action,
                    rule.params,
                    stage,
                    _delay_ms(rule.action, rule.params, stream),
                    random.Random(stream.getrandbits(64)),
                )
            return None

    def has_phase(self, phase: str) -> bool:
        """True if a rule matches events of *phase* (whatever its other conditions)."""
        with self._lock:
            return any(rule.match.get("phase") == phase for rule in self._rules)

    def wait(self, seconds: float | None) -> bool:
        """Sleep *seconds* (None: until cancelled); True if :meth:`cancel` cut it short."""
        return self.cancelled.wait(seconds)

    def cancel(self) -> None:
        """End every delay and hang in flight under this engine, and any to come (the engine
        is being replaced or the emulator stops)."""
        self.cancelled.set()

    def interrupt(self) -> None:
        """End the delays and hangs in flight; later ones wait as usual (a reset that keeps
        the scenario)."""
        ended, self.cancelled = self.cancelled, threading.Event()
        ended.set()

    def add_rule(self, rule: Mapping[str, Any], first: bool = True) -> str:
        """Add a (validated) rule at run time, before the others unless *first* is False;
        counters of the other rules are kept. Returns its id (``api-N`` if it had none)."""
        with self._lock:
            self._added += 1
            built = self._rule(len(self._rules), rule)
            if "id" not in rule:
                built.id = f"api-{self._added}"
            self._rules.insert(0 if first else len(self._rules), built)
            return built.id

    def remove_rules(self, rule_id: str | None = None, label: str | None = None) -> list[str]:
        """Remove the rule with *rule_id*, or every rule with *label*; the ids removed."""
        with self._lock:
            gone = [r for r in self._rules if r.id == rule_id or (label and label in r.labels)]
            self._rules = [r for r in self._rules if r not in gone]
            return [r.id for r in gone]

    @property
    def rule_ids(self) -> set[str]:
        with self._lock:
            return {rule.id for rule in self._rules}

    @property
    def stages(self) -> set[str]:
        """The names of the scenario's stages."""
        return set(self._states)

    def summary(self) -> list[dict[str, Any]]:
        """Each rule with its firings and what is left of ``times`` (for the admin API)."""
        with self._lock:
            return [
                {
                    "id": rule.id,
                    "action": rule.action,
                    "fired": rule.fired,
                    "remaining": None if rule.times is None else max(0, rule.times - rule.fired),
                    "labels": list(rule.labels),
                }
                for rule in self._rules
            ]

    def _scope_key(self, rule: _Rule, event: Event) -> str:
        if rule.scope == "calling_ae":
            return event.calling_ae.strip()
        if rule.scope == "association":
            return str(event.association)
        if rule.scope == "request":
            return f"{event.association}/{event.request}"
        return ""

    def _fires(self, rule: _Rule, key: str, seen: int) -> bool:
        if rule.times is not None and rule.fired >= rule.times:
            return False
        if rule.first is not None and seen > rule.first:
            return False
        if rule.nth is not None and seen != rule.nth:
            return False
        if rule.every is not None and seen % rule.every:
            return False
        if rule.probability >= 1:
            return True
        if rule.probability <= 0:
            return False
        return self._stream(rule, key).random() < rule.probability

    def _stream(self, rule: _Rule, key: str) -> random.Random:
        stream = rule.streams.get(key)
        if stream is None:
            digest = hashlib.sha256(f"{self.seed}:{rule.id}:{key}".encode()).digest()
            stream = rule.streams[key] = random.Random(int.from_bytes(digest[:8], "big"))
        return stream

    def _enter(self, stage: str) -> None:
        self._stage = stage
        self._entered = time.monotonic()
        self._stage_matches = 0

    def _advance(self) -> None:
        """Follow the timed and counted transitions out of the current stage."""
        for transition in self._transitions:
            if transition["from"] != self._stage:
                continue
            after_s, after_matches = transition.get("after_s"), transition.get("after_matches")
            if (after_s is not None and time.monotonic() - self._entered >= after_s) or (
                after_matches is not None and self._stage_matches >= after_matches
            ):
                self._enter(transition["to"])
                return
