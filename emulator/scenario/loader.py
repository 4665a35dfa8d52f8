"""Scenario files: YAML (or JSON) read with line numbers, checked against the published JSON
Schema (``schema.json`` beside this module) and then for what a schema cannot say (unique rule
ids, stages that exist, SOP class keywords that resolve, statuses that are DIMSE statuses).

Every problem is reported, not only the first, as ``file:line: field: message``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from emulator.scenario import bounds
from emulator.scenario.actions import (
    ACQUISITION_STEPS,
    ACTION_SERVICES,
    ACTION_STEPS,
    PHASE_ACTIONS,
)
from emulator.scenario.engine import status_code
from emulator.scenario.keywords import uid_of
from emulator.scenario.problems import Problem, ScenarioError
from storage.uids import uid_problem

SCHEMA_PATH = Path(__file__).with_name("schema.json")


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The scenario JSON Schema."""
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def _lines(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    """The line (1-based) of every value in the YAML node tree, by its path."""
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, key.value)
            _lines(value, child, out)
            out[child] = key.start_mark.line + 1  # a field's problems point at its key
    elif isinstance(node, yaml.SequenceNode):
        for n, item in enumerate(node.value):
            _lines(item, (*path, n), out)


def _line(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...]) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def _field(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse(text: str, name: str) -> dict[str, Any]:
    """Read and check a scenario given as text (*name* is how problems refer to it).

    Raises
    ------
    ScenarioError
        With every problem found.
    """
    data, lines = _read(text, name, "a scenario is a mapping with name and rules")
    rules = data.get("rules")
    if isinstance(rules, list):
        bounds.check_rules(len(rules), name)
    problems, broken = _schema_problems(data, lines, name, schema())
    if -1 not in broken:  # the rest of the file has its shape: check what a schema cannot
        problems += [
            Problem(name, _line(lines, path), _field(path), message)
            for path, message in _semantics(data, broken)
        ]
    problems.sort(key=lambda p: (p.line, p.field))
    if problems:
        raise ScenarioError(problems)
    return data


def parse_rule(text: str, name: str, stages: set[str], taken: set[str]) -> dict[str, Any]:
    """Read and check one rule given as text, to add to a running scenario with *stages*
    whose rules have the ids *taken* (see :func:`parse`)."""
    data, lines = _read(text, name, "a rule is a mapping with match and action")
    problems, _ = _schema_problems(data, lines, name, _rule_schema())
    if not problems:
        found: Found = []

        def stage(path: tuple[Any, ...], value: Any) -> None:
            if value not in stages:
                found.append((path, f"unknown stage {value!r} (the stages are {sorted(stages)})"))

        _rule((), data, {rule_id: -1 for rule_id in taken}, stage, found)
        problems = [Problem(name, _line(lines, p), _field(p), m) for p, m in found]
    if problems:
        raise ScenarioError(sorted(problems, key=lambda p: (p.line, p.field)))
    return data


def _read(text: str, name: str, shape: str) -> tuple[dict[str, Any], dict[tuple[Any, ...], int]]:
    """The YAML (or JSON) mapping in *text* and the line of every value in it, refused past
    the limits of :mod:`emulator.scenario.bounds`."""
    bounds.check_text(text, name)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([Problem(name, line, "", f"not valid YAML: {reason}")]) from exc
    if not isinstance(data, dict) or node is None:
        raise ScenarioError([Problem(name, 1, "", shape)])
    lines: dict[tuple[Any, ...], int] = {}
    _lines(node, (), lines)
    return data, lines


def _schema_problems(
    data: dict[str, Any], lines: dict[tuple[Any, ...], int], name: str, against: dict[str, Any]
) -> tuple[list[Problem], set[int]]:
    """Schema violations, and the rules they are in (-1: outside the rules)."""
    problems = []
    broken: set[int] = set()  # rules with schema problems, which the semantic checks skip
    for error in jsonschema.Draft202012Validator(against).iter_errors(data):
        path = tuple(error.absolute_path)
        broken.add(path[1] if len(path) > 1 and path[0] == "rules" else -1)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
            extra = sorted(set(error.instance) - set(known))
            path = (*path, extra[0]) if extra else path  # point at the unknown key itself
        problems.append(Problem(name, _line(lines, path), _field(path), _message(error)))
    return problems, broken


@lru_cache(maxsize=1)
def _rule_schema() -> dict[str, Any]:
    return {"$defs": schema()["$defs"], "$ref": "#/$defs/rule"}


def load(path: Path) -> dict[str, Any]:
    """Read and check the scenario file at *path* (see :func:`parse`)."""
    return parse(bounds.read_file(path), str(path))


def _message(error: jsonschema.ValidationError) -> str:
    """A schema error in words a scenario author can act on."""
    rules: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    allowed = sorted(rules.get("properties", {}))
    instance: Any = error.instance
    if error.validator == "additionalProperties":
        extra = sorted(set(instance) - set(allowed)) if isinstance(instance, dict) else []
        return f"unknown field {', '.join(map(repr, extra))}; expected one of {', '.join(allowed)}"
    if error.validator == "enum":
        options = ", ".join(map(repr, rules.get("enum", [])))
        return f"{instance!r} is not one of {options}"
    if error.validator in ("minProperties", "maxProperties") and rules.get("description"):
        return f"{rules['description']} ({', '.join(allowed)})"
    if error.validator == "required":
        return str(error.message).replace("is a required property", "is required")
    if error.validator == "oneOf" and isinstance(instance, dict):
        choices = ["/".join(option.get("required", [])) for option in rules.get("oneOf", [])]
        return "give exactly one of: " + ", ".join(choices)
    return str(error.message)


# Statuses a rule may answer with, by the service tables of PS3.4 and PS3.7 C.
_STATUS_RANGES = (
    (0x0000, 0x0000),
    (0x0001, 0x02FF),  # warnings and failures of PS3.7 C (0x0213 resource limitation)
    (0xA000, 0xAFFF),
    (0xB000, 0xBFFF),
    (0xC000, 0xCFFF),
    (0xFE00, 0xFE00),
    (0xFF00, 0xFF01),
)


Found = list[tuple[tuple[Any, ...], str]]


def _semantics(data: dict[str, Any], skip: set[int]) -> Found:
    """What the schema cannot check, in the rules not in *skip*: (path, message) pairs."""
    problems: Found = []
    stages = data.get("stages") or {}
    names = set(stages.get("states", []))

    def stage(path: tuple[Any, ...], name: Any) -> None:
        if name not in names:
            problems.append((path, f"unknown stage {name!r} (the stages are {sorted(names)})"))

    if stages:
        stage(("stages", "initial"), stages.get("initial"))
    for n, transition in enumerate(stages.get("transitions", [])):
        for key in ("from", "to"):
            stage(("stages", "transitions", n, key), transition[key])
    seen: dict[str, int] = {}
    for n, rule in enumerate(data.get("rules", [])):
        if n not in skip:
            _rule(("rules", n), rule, seen, stage, problems)
    return problems


def _rule(
    path: tuple[Any, ...], rule: dict[str, Any], seen: dict[str, int], stage: Any, problems: Found
) -> None:
    rule_id = rule.get("id")
    if rule_id is not None:
        if rule_id in seen:
            where = f"rule {seen[rule_id]}" if seen[rule_id] >= 0 else "a rule in force"
            problems.append(((*path, "id"), f"id {rule_id!r} is taken by {where}"))
        seen.setdefault(rule_id, path[-1] if path else -1)
    if "then_stage" in rule:
        stage((*path, "then_stage"), rule["then_stage"])
    match = rule["match"]
    if "stage" in match:
        stage((*path, "match", "stage"), match["stage"])
    for key in ("sop_class", "transfer_syntax"):
        if key in match and not _known_uid(match[key]):
            unknown = f"{match[key]!r} is neither a UID nor a keyword pydicom knows"
            problems.append(((*path, "match", key), unknown))
    for key, names in rule["action"].get("reject_contexts", {}).items():
        for n, name in enumerate(names):
            if not _known_uid(name):
                unknown = f"{name!r} is neither a UID nor a keyword pydicom knows"
                problems.append(((*path, "action", "reject_contexts", key, n), unknown))
    problems.extend(((*path, *where), message) for where, message in _fits(rule))
    for action, body in rule["action"].items():
        if action in ("reject", "discontinue") or not isinstance(body, dict):
            continue  # A-ASSOCIATE-RJ codes (_fits checks them), CID 9300 codes (the schema)
        for key in ("code", "status", "reason"):
            code = status_code(body[key]) if key in body else 0
            if key in body and not any(lo <= code <= hi for lo, hi in _STATUS_RANGES):
                bad = f"0x{code:04X} is not a DIMSE status"
                problems.append(((*path, "action", action, key), bad))


# What each phase can do and know. An action or match field outside these could never fire or
# could not be done on the wire there, so it is a problem in the file, not a silent no-op.
# The actions' phases and services are the registry's (scenario/actions.py).
HTTP_SERVICES = ("QIDO-RS", "WADO-RS", "WADO-URI", "STOW-RS", "DELETE")
DIMSE_SERVICES = ("C-ECHO", "C-STORE", "C-FIND", "C-MOVE", "C-GET", "MWL", "N-CREATE", "N-SET")
PHASE_SERVICES: dict[str, tuple[str, ...]] = {
    "request": (*DIMSE_SERVICES, "N-ACTION"),
    "response": ("C-FIND", "MWL", "C-MOVE", "C-GET"),
    "suboperation": ("C-MOVE", "C-GET"),
    "http": HTTP_SERVICES,
    "acquisition": ACQUISITION_STEPS,
}
_ASSOCIATION_FIELDS = frozenset({"phase", "peer", "calling_ae", "called_ae", "username", "stage"})
_REQUEST_FIELDS = _ASSOCIATION_FIELDS | {"service", "sop_class", "transfer_syntax"}
_REQUEST_FIELDS |= {"query_level", "query", "move_destination", "dataset"}
PHASE_FIELDS: dict[str, frozenset[str]] = {
    "connect": frozenset({"phase", "peer", "stage"}),
    "associate": _ASSOCIATION_FIELDS,
    "request": _REQUEST_FIELDS,
    "response": _REQUEST_FIELDS - {"dataset"},
    "suboperation": _REQUEST_FIELDS - {"dataset"},
    "release": _ASSOCIATION_FIELDS,
    "http": frozenset({"phase", "peer", "stage", "service", "method", "path", "query", "accept"}),
    "acquisition": frozenset(
        {"phase", "stage", "service", "calling_ae", "called_ae", "sop_class", "dataset"}
    ),
}
FIELD_SERVICES: dict[str, tuple[str, ...]] = {
    "query_level": ("C-FIND", "C-MOVE", "C-GET"),
    "query": ("C-FIND", "MWL", "C-MOVE", "C-GET", *HTTP_SERVICES),
    "move_destination": ("C-MOVE",),
    "dataset": ("C-STORE", "N-CREATE", "N-SET", "ACQUIRE"),
}
# A-ASSOCIATE-RJ reasons by source (PS3.8 9.3.4).
REJECT_REASONS = {1: (1, 2, 3, 7), 2: (1, 2), 3: (1, 2)}


def _fits(rule: dict[str, Any]) -> Found:
    """Problems with where a rule's action and match fields can apply."""
    match = rule["match"]
    problems: Found = []
    phase, service = match["phase"], match.get("service")
    for key in match:
        if key not in PHASE_FIELDS[phase]:
            problems.append((("match", key), f"is not known at the {phase} phase"))
        elif key in FIELD_SERVICES and service and service not in FIELD_SERVICES[key]:
            problems.append((("match", key), f"means nothing for {service}"))
    if phase in PHASE_SERVICES and service and service not in PHASE_SERVICES[phase]:
        services = ", ".join(PHASE_SERVICES[phase])
        problems.append((("match", "service"), f"{service} has no {phase} phase ({services})"))
    [(action, body)] = rule["action"].items()
    if action not in PHASE_ACTIONS[phase]:
        allowed = ", ".join(sorted(PHASE_ACTIONS[phase]))
        problems.append((("action", action), f"cannot be done at the {phase} phase ({allowed})"))
    elif phase == "acquisition":
        steps = ACTION_STEPS[action]
        if steps != ACQUISITION_STEPS and service not in steps:
            problems.append((("match", "service"), f"{action} needs step {' or '.join(steps)}"))
    elif action in ACTION_SERVICES and service not in ACTION_SERVICES[action]:
        wanted = " or ".join(ACTION_SERVICES[action])
        problems.append((("match", "service"), f"{action} needs service {wanted}"))
    if action == "reject" and body["reason"] not in REJECT_REASONS[body["source"]]:
        reasons = ", ".join(map(str, REJECT_REASONS[body["source"]]))
        problems.append(
            (("action", "reject", "reason"), f"with source {body['source']} is one of {reasons}")
        )
    return problems


def _known_uid(value: str) -> bool:
    return not uid_problem(value) or uid_of(value) is not None
