"""The command line's arguments: one parser per command, each with only the options it takes
(the settings table's flags, and the fabrication and export options), built when that command
is used (``Parser.later``), and short errors with a did-you-mean."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, cast

from emulator.config import REMOTE_AES, settings
from emulator.remotes import SPEC_FORMAT
from emulator.version import __version__

PROG = "dicom-fabricator"
COMMANDS = ("serve", "check", "fabricate", "export", "scenario", "users")
_GROUPS = {
    "dicom": "DICOM listener",
    "admin": "admin HTTP API",
    "dicomweb": "DICOMweb (QIDO-RS, WADO-RS, WADO-URI, STOW-RS)",
    "ldap": "directory logins (LDAP, Active Directory)",
    "storage": "storage",
    "query": "C-FIND behaviour",
    "retrieve": "C-MOVE and C-GET",
    "worklist": "Modality Worklist",
    "commitment": "Storage Commitment",
    "hl7": "HL7 v2 orders",
    "scenario": "scenario (faults and latency)",
    "journal": "request journal",
}


class Parser(argparse.ArgumentParser):
    """argparse with short errors: the usage line, the message, a did-you-mean for a
    misspelt flag, and where to find help (argparse prints the whole usage otherwise)."""

    commands: dict[str, argparse.ArgumentParser]  # the top parser's, by command
    top: Parser  # a command's: the parser it is a command of

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # a command's options, added when the command is parsed or its help shown, or a
        # flag's owner looked up: only the command that runs pays for building its options
        # (~60 settings each) and for what they import (fabricate's: the fabrication spec)
        self._later: list[Callable[[Parser], None]] = []

    def later(self, add: Callable[[Parser], None]) -> None:
        """Have *add* add options to this parser when it is first used (in order)."""
        self._later.append(add)

    def complete(self) -> Parser:
        """This parser with all its options (see :meth:`later`)."""
        while self._later:
            self._later.pop(0)(self)
        return self

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        return super(Parser, self.complete()).parse_known_args(args, namespace)

    def format_help(self) -> str:
        return super(Parser, self.complete()).format_help()

    def format_usage(self) -> str:
        return super(Parser, self.complete()).format_usage()

    def owners(self) -> dict[str, list[str]]:
        """Every flag of the top parser's commands: the commands that take it."""
        top = getattr(self, "top", None)
        owners: dict[str, list[str]] = {}
        for name, command in top.commands.items() if top is not None else ():
            for action in cast(Parser, command).complete()._actions:
                for flag in action.option_strings:
                    owners.setdefault(flag, []).append(name)
        return owners

    def error(self, message: str) -> NoReturn:
        unknown = message.removeprefix("unrecognized arguments: ")
        if unknown != message:
            words = [w for w in unknown.split() if w.startswith("-")] or unknown.split()
            flags = [s for action in self._actions for s in action.option_strings]
            hints = []
            owners = self.owners()
            for word in words:
                name = word.split("=", 1)[0]
                close = difflib.get_close_matches(name, flags, n=1, cutoff=0.75) or [
                    flag for flag in flags if flag.endswith("-" + name.lstrip("-"))
                ]
                notes = []
                if name in owners:
                    takers = owners[name]
                    verb = "takes" if len(takers) == 1 else "take"
                    notes.append(f"{' and '.join(takers)} {verb} it, {self.prog.split()[-1]} not")
                if close:
                    notes.append(f"did you mean {close[0]}?")
                hints.append(f"{word} ({'; '.join(notes)})" if notes else word)
            noun = "option" if len(words) == 1 else "options"
            message = f"unknown {noun} {', '.join(hints)}"
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\nTry '{self.prog} --help'.\n")


# Settings each command takes (None: all); the others do not apply to it.
_COMMAND_SETTINGS: dict[str, frozenset[str] | None] = {
    "serve": None,
    "check": None,
    "fabricate": frozenset({"storage.data_dir", "storage.fsync", "log_level"}),
    "export": frozenset({"storage.data_dir", "log_level"}),
    "users": frozenset({"storage.data_dir", "log_level"}),
}


def _add_settings(parser: argparse.ArgumentParser, command: str) -> None:
    cast(Parser, parser).later(lambda p: _settings_now(p, command))


def _settings_now(parser: argparse.ArgumentParser, command: str) -> None:
    only = _COMMAND_SETTINGS[command]
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="TOML file with the same settings; flags override it, it overrides defaults",
    )
    groups: dict[str, Any] = {}
    for row in settings():
        section = row.key.split(".")[0] if "." in row.key else ""
        if only is not None and row.key not in only:
            continue
        group = parser
        if section:
            if section not in groups:
                groups[section] = parser.add_argument_group(_GROUPS[section])
            group = groups[section]
        default = "none" if row.default is None else f"{row.default}"
        kwargs: dict[str, Any] = {
            "dest": row.key,
            "default": None,
            "help": f"{row.help} (default: {default}; config key: {row.key})".replace("%", "%%"),
        }
        if row.type is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs["metavar"] = row.key.rsplit(".", 1)[-1].upper()
            if "choices" in row.checks:
                kwargs["choices"] = row.checks["choices"]
        assert row.flag is not None
        group.add_argument(row.flag, **kwargs)
    if "retrieve" not in groups:
        return
    groups["retrieve"].add_argument(
        "--remote-ae",
        action="append",
        dest=REMOTE_AES,
        metavar=SPEC_FORMAT,
        help="a remote AE (C-MOVE destination); repeatable; replaces a [remote_aes.NAME]"
        " table of the same name",
    )


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        usage=f"{PROG} [COMMAND] [options]",
        description="A DICOM test server emulator: a disposable PACS with fabricated studies."
        " Each command's --help lists its options.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve, check = _serve_and_check(sub)
    fab = _fabricate(sub)
    validate = _scenario(sub)
    exp = _export(sub)
    users = _users(sub)
    parser.commands = {
        "serve": serve,
        "check": check,
        "fabricate": fab,
        "export": exp,
        "scenario": validate,
        "users": users,
    }
    for command in parser.commands.values():
        cast(Parser, command).top = parser
    return parser


def _serve_and_check(sub: Any) -> tuple[Parser, Parser]:
    serve = sub.add_parser(
        "serve",
        prog=f"{PROG} serve",
        usage=f"{PROG} [serve] [options]",
        help="run the emulator (the default command)",
        description="Run the DICOM listener and the admin API until stopped (Ctrl-C or SIGTERM).",
    )
    _add_settings(serve, "serve")
    check = sub.add_parser(
        "check",
        prog=f"{PROG} check",
        usage=f"{PROG} check [options]",
        help="validate settings and print the effective config",
        description="Validate --config and flags (and the scenario file and admin tokens they"
        " name) as serve would, print the effective configuration as JSON, open no ports."
        " Exit 0 if valid, 2 if not.",
    )
    _add_settings(check, "check")
    return cast(Parser, serve), cast(Parser, check)


def _fabricate(sub: Any) -> Parser:
    fab = sub.add_parser(
        "fabricate",
        prog=f"{PROG} fabricate",
        usage=f"{PROG} fabricate [options]",
        help="write seeded synthetic studies into the data directory",
        description="Fabricate patients, studies, series and instances from a seed into the"
        " data directory: index rows whose Part 10 bytes are synthesized when retrieved or"
        " exported (--materialize writes files). The same seed and --anchor give the same"
        " bytes.",
    )
    _add_settings(fab, "fabricate")
    cast(Parser, fab).later(_fabrication_options)
    return cast(Parser, fab)


def _fabrication_options(fab: Parser) -> None:
    from emulator.fabrication_arguments import add_fabrication_options  # with their names

    add_fabrication_options(fab)


def _scenario(sub: Any) -> Parser:
    scenario = sub.add_parser(
        "scenario",
        prog=f"{PROG} scenario",
        usage=f"{PROG} scenario validate FILE...",
        help="work with scenario files (validate)",
        description="Scenario files: rules that inject faults and latency.",
    )
    scenario_sub = scenario.add_subparsers(dest="scenario_command", metavar="ACTION", required=True)
    validate = scenario_sub.add_parser(
        "validate",
        prog=f"{PROG} scenario validate",
        usage=f"{PROG} scenario validate FILE...",
        help="check scenario files and print every problem with file:line and the field",
        description="Check scenario files against the scenario format; print every problem as"
        " file:line: field: message. Exit 0 if all are valid, 2 if not.",
    )
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    return cast(Parser, validate)


def _export(sub: Any) -> Parser:
    exp = sub.add_parser(
        "export",
        prog=f"{PROG} export",
        usage=f"{PROG} export --out DIR [options]",
        help="write the archive's instances as Part 10 files plus a DICOMDIR",
        description="Export instances (all, or those of the --study UIDs) from the data"
        " directory as a DICOM File-set: Part 10 files plus a DICOMDIR. Fabricated"
        " instances are synthesized; received ones are copied as stored.",
    )
    _add_settings(exp, "export")
    cast(Parser, exp).later(_export_options)
    return cast(Parser, exp)


def _export_options(exp: Parser) -> None:
    exp.add_argument(
        "--out", type=Path, required=True, help="directory to create (must be new or empty)"
    )
    exp.add_argument(
        "--study",
        action="append",
        default=None,
        metavar="UID",
        help="a Study Instance UID to export (repeatable; default: every study)",
    )


def _users(sub: Any) -> Parser:
    users = sub.add_parser(
        "users",
        prog=f"{PROG} users",
        usage=f"{PROG} users add|list|passwd|remove [NAME] [--role ROLE] [options]",
        help="manage the local user accounts of the web console and the API",
        description="Add, list, change the password (or role) of, or remove the data directory's"
        " local users. add and passwd read the password from the terminal (twice) or with"
        " --password-stdin from standard input; a running emulator sees changes at once.",
    )
    _add_settings(users, "users")
    cast(Parser, users).later(_users_options)
    return cast(Parser, users)


def _users_options(users: Parser) -> None:
    users.add_argument("action", choices=("add", "list", "passwd", "remove"), metavar="ACTION")
    users.add_argument("name", nargs="?", metavar="NAME", help="the user (not for list)")
    users.add_argument(
        "--role",
        choices=("viewer", "test_write", "admin"),
        help="add: the user's role (required); passwd: a new role instead of a new password",
    )
    users.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (its first line) instead of the terminal",
    )
