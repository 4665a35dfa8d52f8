"""Scenario files: YAML (or JSON) read with line numbers, checked against the published JSON
Schema (``schema.json`` beside this module) and then for what a schema cannot say (unique rule
ids, stages that exist, SOP class keywords that resolve, statuses that are DIMSE statuses).

Every problem is reported, not only the first, as ``file:line: field: message``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from pydicom.uid import UID

from storage.uids import uid_problem

SCHEMA_PATH = Path(__file__).with_name("schema.json")


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
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([Problem(name, line, "", f"not valid YAML: {reason}")]) from exc
    if not isinstance(data, dict) or node is None:
        raise ScenarioError([Problem(name, 1, "", "a scenario is a mapping with name and rules")])
    lines: dict[tuple[Any, ...], int] = {}
    _lines(node, (), lines)
    problems = []
    for error in jsonschema.Draft202012Validator(schema()).iter_errors(data):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
            extra = sorted(set(error.instance) - set(known))
            path = (*path, extra[0]) if extra else path  # point at the unknown key itself
        problems.append(Problem(name, _line(lines, path), _field(path), _message(error)))
    problems.sort(key=lambda p: (p.line, p.field))
    if not problems:
        problems = [
            Problem(name, _line(lines, path), _field(path), message)
            for path, message in _semantics(data)
        ]
    if problems:
        raise ScenarioError(problems)
    return data


def load(path: Path) -> dict[str, Any]:
    """Read and check the scenario file at *path* (see :func:`parse`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(str(path), 1, "", f"cannot read the file: {exc}")]) from exc
    return parse(text, str(path))


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
    (0x0001, 0x01FF),
    (0xA000, 0xAFFF),
    (0xB000, 0xBFFF),
    (0xC000, 0xCFFF),
    (0xFE00, 0xFE00),
    (0xFF00, 0xFF01),
)


def _status(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


Found = list[tuple[tuple[Any, ...], str]]


def _semantics(data: dict[str, Any]) -> Found:
    """What the schema cannot check: (path, message) pairs."""
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
        _rule(("rules", n), rule, seen, stage, problems)
    return problems


def _rule(
    path: tuple[Any, ...], rule: dict[str, Any], seen: dict[str, int], stage: Any, problems: Found
) -> None:
    rule_id = rule.get("id")
    if rule_id is not None:
        if rule_id in seen:
            problems.append(((*path, "id"), f"id {rule_id!r} is taken by rule {seen[rule_id]}"))
        seen.setdefault(rule_id, path[-1])
    if "then_stage" in rule:
        stage((*path, "then_stage"), rule["then_stage"])
    match = rule["match"]
    if "stage" in match:
        stage((*path, "match", "stage"), match["stage"])
    for key in ("sop_class", "transfer_syntax"):
        if key in match and not _known_uid(match[key]):
            unknown = f"{match[key]!r} is neither a UID nor a keyword pydicom knows"
            problems.append(((*path, "match", key), unknown))
    for action, body in rule["action"].items():
        if action == "reject" or not isinstance(body, dict):
            continue  # A-ASSOCIATE-RJ codes are not DIMSE statuses; the schema checks them
        for key in ("code", "status", "reason"):
            if key in body and not any(lo <= _status(body[key]) <= hi for lo, hi in _STATUS_RANGES):
                bad = f"0x{_status(body[key]):04X} is not a DIMSE status"
                problems.append(((*path, "action", action, key), bad))


def _known_uid(value: str) -> bool:
    if not uid_problem(value):
        return True
    from pydicom import uid as uids

    return isinstance(getattr(uids, value, None), UID) or _sop_keyword(value)


def _sop_keyword(value: str) -> bool:
    from pynetdicom import sop_class

    return isinstance(getattr(sop_class, value, None), str)
