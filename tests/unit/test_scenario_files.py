"""Scenario files: the format, and every problem reported with file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from emulator.cli import main
from emulator.scenario.loader import SCHEMA_PATH, ScenarioError, load, parse

ROOT = Path(__file__).parent.parent.parent
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))

GOOD = """\
name: ok
seed: 3
stages:
  initial: calm
  states: [calm, stormy]
rules:
  - id: storm
    match: {phase: request, service: C-STORE, stage: calm}
    times: 2
    then_stage: stormy
    action:
      status: {code: 0xA700}
"""


def test_the_published_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text()))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_scenario_is_valid(path):
    assert load(path)["rules"]


def test_a_valid_scenario_loads():
    data = parse(GOOD, "good.yaml")
    assert data["rules"][0]["then_stage"] == "stormy"


# (text, line, field, words of the message): a dozen ways to get a scenario wrong
BROKEN = [
    ("name: x\nrules: [\n", 3, "", "not valid YAML"),
    ("- just\n- a list\n", 1, "", "a mapping with name and rules"),
    ("name: x\n", 1, "", "'rules' is required"),
    ("name: x\nrules: []\nextra: 1\n", 3, "extra", "unknown field 'extra'"),
    (
        "name: x\nrules:\n  - match: {phase: request}\n    action: {status: {code: 0xA700}}\n"
        "    probabilty: 0.5\n",
        5,
        "rules[0].probabilty",
        "unknown field 'probabilty'",
    ),
    (
        "name: x\nrules:\n  - match: {phase: requests}\n    action: {abort: {}}\n",
        3,
        "rules[0].match.phase",
        "'requests' is not one of",
    ),
    (
        "name: x\nrules:\n  - match: {phase: request}\n    action: {abort: {}, hang: {}}\n",
        4,
        "rules[0].action",
        "exactly one action",
    ),
    (
        "name: x\nrules:\n  - match: {phase: request}\n    action:\n      delay: {}\n",
        5,
        "rules[0].action.delay",
        "give exactly one of: ms, uniform, lognormal",
    ),
    (
        "name: x\nrules:\n  - match: {phase: request}\n    action: {status: {code: 0x12345}}\n",
        4,
        "rules[0].action.status.code",
        "",
    ),
    (
        "name: x\nrules:\n  - match: {phase: request}\n    probability: 1.5\n"
        "    action: {abort: {}}\n",
        4,
        "rules[0].probability",
        "1.5 is greater than the maximum of 1",
    ),
    (
        "name: x\nrules:\n  - match: {phase: request}\n    action: {status: {code: 0x9999}}\n",
        4,
        "rules[0].action.status.code",
        "0x9999 is not a DIMSE status",
    ),
    (
        "name: x\nrules:\n  - id: a\n    match: {phase: request}\n    action: {abort: {}}\n"
        "  - id: a\n    match: {phase: release}\n    action: {abort: {}}\n",
        6,
        "rules[1].id",
        "id 'a' is taken by rule 0",
    ),
    (
        "name: x\nstages: {initial: calm, states: [calm]}\nrules:\n"
        "  - match: {phase: request}\n    then_stage: storm\n    action: {abort: {}}\n",
        5,
        "rules[0].then_stage",
        "unknown stage 'storm'",
    ),
    (
        "name: x\nrules:\n  - match: {phase: request, sop_class: CTImageStorag}\n"
        "    action: {abort: {}}\n",
        3,
        "rules[0].match.sop_class",
        "neither a UID nor a keyword",
    ),
    (
        "name: x\nrules:\n  - match: {phase: associate}\n"
        "    action: {reject: {result: 3, source: 1, reason: 3}}\n",
        4,
        "rules[0].action.reject.result",
        "3 is not one of 1, 2",
    ),
    (
        "name: x\nrules:\n  - match: {phase: associate}\n"
        "    action: {reject: {result: 1, source: 3, reason: 7}}\n",
        4,
        "rules[0].action.reject.reason",
        "with source 3 is one of 1, 2",
    ),
    (
        "name: x\nrules:\n  - match: {phase: connect}\n    action: {reject:"
        " {result: 1, source: 1, reason: 1}}\n",
        4,
        "rules[0].action.reject",
        "cannot be done at the connect phase",
    ),
    (
        "name: x\nrules:\n  - match: {phase: request}\n    action: {truncate: {after: 2}}\n",
        3,
        "rules[0].match.service",
        "truncate needs service C-FIND or MWL",
    ),
    (
        "name: x\nrules:\n  - match: {phase: connect, calling_ae: MOD1}\n    action: {close: {}}\n",
        3,
        "rules[0].match.calling_ae",
        "is not known at the connect phase",
    ),
    (
        "name: x\nrules:\n  - match: {phase: connect, username: mallory}\n"
        "    action: {close: {}}\n",
        3,
        "rules[0].match.username",
        "is not known at the connect phase",
    ),
    (
        "name: x\nrules:\n  - match: {phase: request, service: C-STORE, query_level: STUDY}\n"
        "    action: {abort: {}}\n",
        3,
        "rules[0].match.query_level",
        "means nothing for C-STORE",
    ),
    (
        "name: x\nrules:\n  - match: {phase: suboperation, service: C-FIND}\n"
        "    action: {abort: {}}\n",
        3,
        "rules[0].match.service",
        "C-FIND has no suboperation phase",
    ),
    (
        "name: x\nrules:\n  - match: {phase: request}\n    scope: peer\n    action: {abort: {}}\n",
        4,
        "rules[0].scope",
        "'peer' is not one of",
    ),
]


@pytest.mark.parametrize(("text", "line", "field", "words"), BROKEN)
def test_every_problem_names_file_line_and_field(text, line, field, words):
    with pytest.raises(ScenarioError) as raised:
        parse(text, "broken.yaml")
    problems = raised.value.problems
    assert any(
        (p.file, p.line, p.field) == ("broken.yaml", line, field) and words in p.message
        for p in problems
    ), [str(p) for p in problems]


def test_every_problem_of_a_file_is_reported_not_only_the_first():
    text = (
        "name: x\nrules:\n  - match: {phase: nope}\n    action: {abort: {}}\n"
        "  - match: {phase: request}\n    action: {explode: {}}\n"
    )
    with pytest.raises(ScenarioError) as raised:
        parse(text, "two.yaml")
    assert [(p.line, p.field) for p in raised.value.problems] == [
        (3, "rules[0].match.phase"),
        (6, "rules[1].action.explode"),
    ]


def test_scenario_validate_prints_file_line_field_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nrules:\n  - match: {phase: request}\n    action: {hang: {ms: -1}}\n")
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    assert main(["scenario", "validate", str(good), str(bad)]) == 2
    out, err = capsys.readouterr()
    assert f"{good}: ok (1 rules)" in out
    assert err.startswith(f"{bad}:4: rules[0].action.hang.ms: -1 is less than the minimum of 0")
    assert main(["scenario", "validate", str(good)]) == 0
    assert main(["scenario", "validate", str(tmp_path / "missing.yaml")]) == 2
    assert "cannot read the file" in capsys.readouterr().err


def test_a_rule_that_fits_the_schema_is_still_checked_when_another_does_not():
    text = (
        "name: x\nrules:\n  - match: {phase: request}\n    action: {hang: {ms: -1}}\n"
        "  - match: {phase: connect, calling_ae: MOD1}\n    action: {close: {}}\n"
    )
    with pytest.raises(ScenarioError) as raised:
        parse(text, "mixed.yaml")
    assert [(p.line, p.field) for p in raised.value.problems] == [
        (4, "rules[0].action.hang.ms"),
        (5, "rules[1].match.calling_ae"),
    ]


HOSTILE = {
    "laughs.yaml": (
        "name: laughs\nrules: []\n"
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
            for i in range(8)
        ),
        "laughs.yaml:8: (top): refused: with its aliases expanded it has more than 100,000"
        " values, the limit",
    ),
    "deep.yaml": (
        "name: deep\nrules: " + "[" * 50_000 + "]" * 50_000,
        "deep.yaml:2: (top): refused: nested deeper than 32 levels, the limit",
    ),
    "deep.json": (
        '{"name": "deep",\n "rules": ' + "{" * 50_000 + "}" * 50_000 + "}",
        "deep.json:2: (top): refused: nested deeper than 32 levels, the limit",
    ),
    "huge.yaml": (
        "name: huge\nrules: []\n" + "# padding\n" * 120_000,
        "huge.yaml:1: (top): the scenario is larger than 1 MiB, the limit; split it",
    ),
    "many.yaml": (
        "name: many\nrules:\n" + "  - {match: {phase: request}, action: {pass: {}}}\n" * 1001,
        "many.yaml:1: (top): refused: 1,001 rules; a scenario has at most 1,000",
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_scenario_files_get_one_line_naming_the_limit(tmp_path, capsys, name):
    text, expected = HOSTILE[name]
    path = tmp_path / name
    path.write_text(text)
    assert main(["scenario", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"{tmp_path}/{expected}\n"


def test_serve_refuses_a_billion_laughs_scenario_before_opening_anything(tmp_path, capsys):
    path = tmp_path / "laughs.yaml"
    path.write_text(HOSTILE["laughs.yaml"][0])
    data = tmp_path / "data"
    assert main(["serve", "--scenario", str(path), "--data-dir", str(data)]) == 2
    assert "more than 100,000 values" in capsys.readouterr().err
    assert not data.exists()


def test_every_sop_class_name_pynetdicom_offers_is_a_keyword_of_scenario_files():
    """Scenario files name SOP classes as pydicom or pynetdicom do; the engine resolves them
    without importing pynetdicom (emulator/scenario/keywords.py)."""
    from pynetdicom import sop_class

    from emulator.scenario.keywords import PYNETDICOM_ONLY, uid_of

    names = [
        name
        for name in dir(sop_class)
        if not name.startswith("_") and isinstance(getattr(sop_class, name), str)
    ]
    names = [n for n in names if str(getattr(sop_class, n)).startswith("1.2.840.10008")]
    assert len(names) > 250
    assert {n: uid_of(n) for n in names} == {n: str(getattr(sop_class, n)) for n in names}
    assert set(PYNETDICOM_ONLY) <= set(names)  # no alias pynetdicom has since dropped
