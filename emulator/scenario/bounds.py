"""Limits on a scenario document, checked before anything is built from it.

A scenario comes from a file, an admin request or a single rule added at run time, so it is
untrusted input. YAML can make a tiny file expand into billions of values through nested
aliases ("billion laughs"), and deep nesting exhausts Python's recursion. These checks walk
PyYAML's event stream, which is flat and iterative, so they cost time linear in the text and
constant stack, and refuse a document before it is composed:

========================  ==========  ==================================================
limit                     value       what it bounds
========================  ==========  ==================================================
``MAX_BYTES``             1 MiB       the text of a scenario (file or request body)
``MAX_DEPTH``             32          mappings and sequences nested in one another
``MAX_VALUES``            100,000     values in the document with every alias expanded
``MAX_RULES``             1,000       rules in one scenario (run-time additions included)
========================  ==========  ==================================================
"""

from __future__ import annotations

from pathlib import Path

import yaml

from emulator.scenario.problems import Problem, ScenarioError

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_VALUES = 100_000
MAX_RULES = 1_000


def read_file(path: Path) -> str:
    """The text of the scenario file at *path*, refused past :data:`MAX_BYTES` unread."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise ScenarioError([too_large(str(path))])
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(str(path), 1, "", f"cannot read the file: {exc}")]) from exc


def too_large(name: str) -> Problem:
    return Problem(
        name, 1, "", f"the scenario is larger than {MAX_BYTES // 1024**2} MiB, the limit; split it"
    )


def check_text(text: str, name: str) -> None:
    """Refuse *text* past any limit of this module but :data:`MAX_RULES`.

    Raises
    ------
    ScenarioError
        With one problem naming the limit and the line where it was passed.
    """
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ScenarioError([too_large(name)])
    # The size of each open collection so far (values, aliases expanded) and its anchor.
    open_sizes: list[int] = []
    anchors: list[str | None] = []
    anchored: dict[str, int] = {}
    total = 0
    aliases = False
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            line = event.start_mark.line + 1 if event.start_mark else 1
            if isinstance(event, yaml.CollectionStartEvent):
                if len(open_sizes) >= MAX_DEPTH:
                    raise _refused(name, line, f"nested deeper than {MAX_DEPTH} levels, the limit")
                open_sizes.append(1)
                anchors.append(event.anchor)
                continue
            if isinstance(event, yaml.CollectionEndEvent):
                size = open_sizes.pop()
                anchor = anchors.pop()
                if anchor is not None:
                    anchored[anchor] = size
            elif isinstance(event, yaml.ScalarEvent):
                size = 1
                if event.anchor is not None:
                    anchored[event.anchor] = 1
            elif isinstance(event, yaml.AliasEvent):
                size = anchored.get(event.anchor or "", 1)
                aliases = True
            else:
                continue
            if open_sizes:
                open_sizes[-1] += size
                running = open_sizes[-1]
            else:
                total += size
                running = total
            if running > MAX_VALUES:  # a collection is never smaller than what it holds
                how = "with its aliases expanded it has" if aliases else "it has"
                raise _refused(name, line, f"{how} more than {MAX_VALUES:,} values, the limit")
    except yaml.YAMLError:
        return  # not YAML: the loader reports it with its line


def check_rules(count: int, name: str) -> None:
    """Refuse a scenario of *count* rules past :data:`MAX_RULES`."""
    if count > MAX_RULES:
        raise _refused(name, 1, f"{count:,} rules; a scenario has at most {MAX_RULES:,}")


def _refused(name: str, line: int, why: str) -> ScenarioError:
    return ScenarioError([Problem(name, line, "", f"refused: {why}")])
