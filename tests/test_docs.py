"""The README and docs/ document every setting, flag, admin route and matching key, and CI
runs the README's own test command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from emulator.admin.app import ROUTES
from emulator.config import settings
from storage.attributes import ATTRIBUTES, SPS_ATTRIBUTES, WORKLIST_ATTRIBUTES

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = {
    path.name: path.read_text(encoding="utf-8") for path in sorted((ROOT / "docs").glob("*.md"))
}
DOCS = README + "\n".join(PAGES.values())  # the README and every reference page


@pytest.mark.parametrize("row", settings(), ids=lambda row: row.key)
def test_every_setting_and_its_flag_are_documented(row):
    assert f"`{row.key}`" in PAGES["configuration.md"]
    assert f"`{row.flag}`" in PAGES["configuration.md"]


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _, _ in ROUTES])
def test_every_admin_route_is_documented(method, path):
    assert f"`{method} {path}`" in PAGES["admin-api.md"]


@pytest.mark.parametrize("keyword", [a.keyword for a in ATTRIBUTES])
def test_every_indexed_key_is_documented(keyword):
    assert keyword in PAGES["services.md"]


@pytest.mark.parametrize("keyword", [a.keyword for a in (*WORKLIST_ATTRIBUTES, *SPS_ATTRIBUTES)])
def test_every_worklist_matching_key_is_documented(keyword):
    assert f"`{keyword}`" in PAGES["services.md"]


def quick_start() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert block, "README has no quick-start block"
    return block.group(1).strip().splitlines()


def test_quick_start_has_two_commands_install_and_serve_then_test():
    serve, test = quick_start()
    assert "pip install ." in serve
    assert serve.endswith("dicom-fabricator serve")
    assert test.endswith("tox")


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert quick_start()[1] in ci.splitlines()
    assert "apt-get install" in ci
    assert "dcmtk" in ci


def _subcommand_flags(name: str) -> list[str]:
    import argparse

    from emulator.arguments import build_parser

    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    settings_flags = {row.flag for row in settings()}
    settings_flags |= {"--no-" + flag[2:] for flag in settings_flags}  # booleans' negations
    return [
        flag
        for action in sub.choices[name].complete()._actions  # fabricate adds its own on use
        for flag in action.option_strings
        if flag.startswith("--") and flag not in settings_flags | {"--help", "--config"}
    ]


@pytest.mark.parametrize("flag", _subcommand_flags("fabricate") + _subcommand_flags("export"))
def test_every_fabricate_and_export_flag_is_documented(flag):
    assert f"`{flag}`" in PAGES["fabrication.md"]


def test_the_flags_checked_above_are_every_one_of_both_commands():
    # fabricate's options are added when it is used: the list above must still hold them
    assert {"--seed", "--profile", "--modalities", "--anchor"} <= set(
        _subcommand_flags("fabricate")
    )
    assert {"--out", "--study"} <= set(_subcommand_flags("export"))


def test_the_demo_archive_is_what_the_readme_says(tmp_path):
    from emulator import Emulator
    from tests.conftest import make_config
    from tests.helpers import find, query

    with Emulator(make_config(tmp_path / "data", storage__empty=False)) as emulator:
        assert emulator.index.counts()["instances"] == 30
        results, _ = find(
            emulator.dicom_port, query("STUDY", PatientName="SMI*", ModalitiesInStudy="")
        )
    [study] = results
    assert f"answers with {study.PatientName}'s" in README.replace("\n", " ")


def _scenario_section() -> str:
    return PAGES["scenarios.md"]


_SCHEMA = json.loads((ROOT / "emulator" / "scenario" / "schema.json").read_text())


@pytest.mark.parametrize("action", sorted(_SCHEMA["$defs"]["action"]["properties"]))
def test_every_scenario_action_is_documented(action):
    assert f"**`{action}`**" in _scenario_section()


@pytest.mark.parametrize(
    "field",
    sorted(_SCHEMA["$defs"]["match"]["properties"])
    + sorted(_SCHEMA["$defs"]["rule"]["properties"]),
)
def test_every_rule_and_match_field_is_documented(field):
    assert f"`{field}`" in _scenario_section()


@pytest.mark.parametrize("phase", _SCHEMA["$defs"]["match"]["properties"]["phase"]["enum"])
def test_every_phase_and_what_it_can_do_is_documented(phase):
    from emulator.scenario.loader import PHASE_ACTIONS

    [row] = [line for line in _scenario_section().splitlines() if line.startswith(f"| `{phase}` |")]
    for action in PHASE_ACTIONS[phase]:
        assert f"`{action}`" in row, f"{action} at {phase}"


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_scenario_is_listed(path):
    assert f"`{path.name}`" in (ROOT / "scenarios" / "README.md").read_text(encoding="utf-8")


def test_the_readme_plugin_example_is_the_test_that_runs():
    block = README.split("## Use it from Python tests", 1)[1].split("```python\n", 1)[1]
    block = block.split("```", 1)[0]
    assert block in (ROOT / "tests" / "plugin" / "test_readme_example.py").read_text()


def test_the_readme_is_a_first_screen_and_a_map():
    assert len(README.splitlines()) <= 200
    for name in PAGES:
        assert f"(docs/{name})" in README, f"the README links to docs/{name}"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_links_between_pages_lead_somewhere(name):
    for target in re.findall(r"\]\(([^)#:]+\.md)", PAGES[name]):
        assert (ROOT / "docs" / target).resolve().is_file(), f"{name} links to {target}"
