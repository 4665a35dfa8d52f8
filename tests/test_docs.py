"""The README documents every setting, flag, admin route and matching key, and CI runs the
README's own test command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emulator.admin.app import ROUTES
from emulator.config import settings
from storage.attributes import ATTRIBUTES

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("row", settings(), ids=lambda row: row.key)
def test_every_setting_and_its_flag_are_documented(row):
    assert f"`{row.key}`" in README
    assert f"`{row.flag}`" in README


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _, _ in ROUTES])
def test_every_admin_route_is_documented(method, path):
    assert f"`{method} {path}`" in README


@pytest.mark.parametrize("keyword", [a.keyword for a in ATTRIBUTES])
def test_every_indexed_key_is_documented(keyword):
    assert keyword in README


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
