"""Command line: ``dicom-fabricator [serve|check] [flags]`` (``python -m emulator`` too).

Flags are generated from the declared settings table (``emulator.config.settings``). This is
the only place that configures logging or touches library-global settings.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import difflib
import json
import logging
import signal
import sqlite3
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn, cast

from tqdm import tqdm

from emulator.admin.auth import admin_tokens
from emulator.app import Emulator
from emulator.config import REMOTE_AES, Config, as_dict, load_config, settings
from emulator.errors import ConfigError, EmulatorError, ExportError, FabricationConflict
from emulator.logfmt import FoldLibraryTracebacks
from emulator.remotes import SPEC_FORMAT, valid_ae_title
from emulator.scenario.problems import ScenarioError
from emulator.services.export import export
from emulator.services.fabrication import Job, fabricate_into
from emulator.version import __version__
from storage import FileStore, Index, InstanceSource, StorageError, edge_cases
from storage.fabricate import MODALITIES, PROFILES, TRANSFER_SYNTAXES, FabricationSpec

PROG = "dicom-fabricator"
COMMANDS = ("serve", "check", "fabricate", "export", "scenario")
_GROUPS = {
    "dicom": "DICOM listener",
    "admin": "admin HTTP API",
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
    owners: dict[str, list[str]]  # every flag: the commands that take it

    def error(self, message: str) -> NoReturn:
        unknown = message.removeprefix("unrecognized arguments: ")
        if unknown != message:
            words = [w for w in unknown.split() if w.startswith("-")] or unknown.split()
            flags = [s for action in self._actions for s in action.option_strings]
            hints = []
            owners = getattr(self, "owners", {})
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
}


def _add_settings(parser: argparse.ArgumentParser, command: str) -> None:
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
    spec = fab.add_argument_group("fabrication")
    spec.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    spec.add_argument(
        "--profile",
        choices=PROFILES,
        default="standard",
        help="standard, or edge-cases: each patient one case that stresses parsers (character"
        " sets, maximum lengths, empty Type 2, private tags, nested sequences, odd matrix,"
        " a 1,200-instance series)",
    )
    spec.add_argument(
        "--patients",
        type=_positive,
        default=None,
        help=f"patients (default: 3; {len(edge_cases.CASES)}, one per case, with edge-cases)",
    )
    for flag, default, text in (
        ("--studies-per-patient", 1, "studies per patient"),
        ("--series-per-study", 2, "series per study"),
        ("--instances-per-series", 5, "instances per series"),
    ):
        spec.add_argument(
            flag, type=_positive, default=default, help=f"{text} (default: {default})"
        )
    spec.add_argument(
        "--matrix",
        type=_positive,
        default=None,
        help="rows and columns of every image (default: each modality's usual size)",
    )
    spec.add_argument(
        "--window-days",
        type=int,
        default=365,
        help="study dates fall this many days before --anchor at most (default: 365)",
    )
    spec.add_argument(
        "--transfer-syntaxes",
        type=_syntaxes,
        default=("explicit",),
        metavar="LIST",
        help=f"comma-separated, of {','.join(TRANSFER_SYNTAXES)}; series take them in turn"
        " (default: explicit)",
    )
    spec.add_argument(
        "--worklist",
        type=_count,
        default=0,
        metavar="N",
        help="also schedule N worklist items for the fabricated patients, on --anchor's day"
        " (default: 0)",
    )
    spec.add_argument(
        "--stations",
        type=_ae_titles,
        default=(),
        metavar="LIST",
        help="comma-separated scheduled station AE titles for --worklist, in turn; CT01"
        " schedules CT (default: <modality>01 for each of --modalities)",
    )
    spec.add_argument(
        "--materialize",
        action="store_true",
        help="write every instance as a Part 10 file (default: synthesize on demand)",
    )
    spec.add_argument(
        "--replace",
        action="store_true",
        help="replace studies the archive already holds (the same seed made them before);"
        " without it fabrication refuses to overwrite them",
    )
    spec.add_argument(
        "--modalities",
        type=_modalities,
        default=MODALITIES,
        metavar="LIST",
        help=f"comma-separated, of {','.join(MODALITIES)} (default: all)",
    )
    spec.add_argument(
        "--anchor",
        type=_date,
        default=None,
        metavar="YYYYMMDD",
        help="study dates fall in the year before this date (default: today)",
    )
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
    parser.commands = {
        "serve": serve,
        "check": check,
        "fabricate": fab,
        "export": exp,
        "scenario": validate,
    }
    owners: dict[str, list[str]] = {}
    for name, command in parser.commands.items():
        for action in command._actions:
            for flag in action.option_strings:
                owners.setdefault(flag, []).append(name)
    for command in parser.commands.values():
        cast(Parser, command).owners = owners
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _choices(what: str, known: Iterable[str], upper: bool) -> Callable[[str], tuple[str, ...]]:
    """An argparse type for a comma-separated list of *known* names."""
    names = tuple(known)

    def parse(text: str) -> tuple[str, ...]:
        values = tuple(
            v.strip().upper() if upper else v.strip().lower() for v in text.split(",") if v.strip()
        )
        unknown = [v for v in values if v not in names]
        if unknown or not values:
            shown = ", ".join(unknown) if unknown else repr(text)
            raise argparse.ArgumentTypeError(f"unknown {what} {shown}: expected {','.join(names)}")
        return values

    return parse


def _count(text: str) -> int:
    return 0 if text.strip() == "0" else _positive(text)


def _ae_titles(text: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in text.split(",") if v.strip())
    bad = [v for v in values if not valid_ae_title(v)]
    if bad or not values:
        raise argparse.ArgumentTypeError(f"not an AE title: {', '.join(bad) or repr(text)}")
    return values


_modalities = _choices("modality", MODALITIES, upper=True)
_syntaxes = _choices("transfer syntax", TRANSFER_SYNTAXES, upper=False)


def _date(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYYMMDD, got {text!r}") from None


def fabricate_command(config: Config, args: argparse.Namespace) -> int:
    try:
        spec = FabricationSpec(
            seed=args.seed,
            patients=args.patients
            or (len(edge_cases.CASES) if args.profile == "edge-cases" else 3),
            studies_per_patient=args.studies_per_patient,
            series_per_study=args.series_per_study,
            instances_per_series=args.instances_per_series,
            modalities=args.modalities,
            matrix=args.matrix,
            anchor=args.anchor or dt.date.today(),
            window_days=args.window_days,
            transfer_syntaxes=tuple(TRANSFER_SYNTAXES[name] for name in args.transfer_syntaxes),
            profile=args.profile,
        )
    except ValueError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    # a progress bar on a terminal only (tqdm's disable=None); silent in CI logs and pipes
    with tqdm(total=spec.total, unit="instance", disable=None, file=sys.stderr) as bar:
        try:
            job = Job(spec, args.materialize, args.worklist, args.stations, args.replace)
            done = fabricate_into(config, job, bar.update)
        except (StorageError, FabricationConflict) as exc:
            bar.close()
            print(f"{PROG}: error: {exc}", file=sys.stderr)
            return 1
    how = "as files" if args.materialize else "synthesized on demand"
    scheduled = f" and {args.worklist} worklist items" if args.worklist else ""
    print(
        f"{PROG}: fabricated {done.instances} instances (seed {spec.seed}, {how}){scheduled}"
        f" into {config.storage.data_dir}"
    )
    return 0


def load_scenario(path: Path) -> dict[str, Any]:
    """Read and check a scenario file (jsonschema and PyYAML load only when needed)."""
    from emulator.scenario.loader import load

    return load(path)


def scenario_command(args: argparse.Namespace) -> int:
    """``scenario validate FILE...``: every problem of every file, exit 2 if any."""
    failed = False
    for path in args.files:
        try:
            data = load_scenario(path)
        except ScenarioError as exc:
            failed = True
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            continue
        print(f"{path}: ok ({len(data.get('rules', []))} rules)")
    return 2 if failed else 0


def export_command(config: Config, args: argparse.Namespace) -> int:
    data_dir = config.storage.data_dir
    if not (data_dir / "index.sqlite").exists():
        raise ExportError(f"no archive in {data_dir}: choose one with --data-dir")
    try:  # read-only: an archive on a read-only disk exports too, and nothing changes
        index = Index.open_readonly(data_dir / "index.sqlite")
    except (StorageError, sqlite3.Error) as exc:
        raise ExportError(f"cannot read the archive in {data_dir}: {exc}") from exc
    try:
        source = InstanceSource(index, FileStore(data_dir, fsync=False))
        total = index.counts()["instances"]
        with tqdm(total=total, unit="instance", disable=None, file=sys.stderr) as bar:
            done = export(index, source, args.out, args.study, bar.update)
    finally:
        index.close()
    print(f"{PROG}: exported {done.instances} instances with a DICOMDIR to {args.out}")
    for uid, reason in done.skipped.items():
        print(f"{PROG}: skipped {uid}: {reason}", file=sys.stderr)
    return 1 if done.skipped else 0


def _config_from(args: argparse.Namespace) -> Config:
    overrides = {row.key: getattr(args, row.key, None) for row in settings()}
    overrides[REMOTE_AES] = getattr(args, REMOTE_AES, None)
    return load_config(args.config, overrides)


@contextlib.contextmanager
def _logging(level: str) -> Iterator[None]:
    """Log to stderr at *level* while the command runs, then put logging and warnings back as
    they were: ``main`` called in-process (a test) leaves no handler on a stream that is
    about to close behind it."""
    root = logging.getLogger()
    names = ("emulator", "storage", "pydicom", "pynetdicom")
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in names})
    filters = warnings.filters[:]
    _setup_logging(level)
    try:
        yield
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for name, old in saved[2].items():
            logging.getLogger(name).setLevel(old)
        cast(list[Any], warnings.filters)[:] = filters  # a list at run time


def _setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    if level != "debug":  # bad input from the wire: a line, not a traceback
        handler.addFilter(FoldLibraryTracebacks())
        # pydicom warns (log and warnings module) of every odd value a peer sends
        logging.getLogger("pydicom").setLevel("ERROR")
        warnings.filterwarnings("ignore", category=UserWarning, module=r"pydicom\.")
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    for name in ("emulator", "storage"):
        logging.getLogger(name).setLevel(level.upper())
    # pynetdicom logs whole PDUs and datasets at INFO: keep it quiet unless debugging.
    logging.getLogger("pynetdicom").setLevel("DEBUG" if level == "debug" else "WARNING")


def serve(config: Config) -> int:
    """Run until SIGINT/SIGTERM; print the ready line once both listeners are bound.

    SIGHUP reloads the scenario file; one with problems is refused and the old one stays.
    """
    stop, hup = threading.Event(), threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        (hup if signum == signal.SIGHUP else stop).set()

    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, on_signal) for s in signals}
    log = logging.getLogger("emulator")
    try:
        with Emulator(config) as emulator:
            emulator.shutdown_hook = stop.set  # POST /api/shutdown
            engine = emulator.scenario.engine
            active = f" scenario={engine.name} seed={engine.seed}" if engine else ""
            port = emulator.hl7_port
            hl7 = f" hl7={config.hl7.host}:{port}" if port is not None else ""
            print(
                f"{PROG} ready dicom={emulator.dicom_address} admin={emulator.admin_url}{hl7}"
                f" data={config.storage.data_dir}{active}",
                flush=True,
            )
            while not stop.wait(0.2):
                if hup.is_set():
                    hup.clear()
                    _reload(emulator, log)
            log.info("stopping")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def _reload(emulator: Emulator, log: logging.Logger) -> None:
    """SIGHUP: reload the scenario file, or keep the active scenario and say why."""
    try:
        emulator.reload_scenario()
    except ScenarioError as exc:
        log.error("scenario not reloaded, the active one stays:\n%s", exc)
    except LookupError as exc:
        log.warning("SIGHUP ignored: %s", exc)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dicom-fabricator`` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    first = args_list[0] if args_list else "-"
    if first not in COMMANDS and not first.startswith("-"):  # serve takes no word: a typo
        close = difflib.get_close_matches(first, COMMANDS, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]}?)" if close else ""
        print(
            f"usage: {PROG} [COMMAND] [options]\n{PROG}: error: unknown command {first!r}{hint};"
            f" the commands are {', '.join(COMMANDS)}\nTry '{PROG} --help'.",
            file=sys.stderr,
        )
        return 2
    if first not in COMMANDS and first not in ("-h", "--help", "--version"):
        args_list.insert(0, "serve")
    parser = build_parser()
    args, extra = parser.parse_known_args(args_list)
    if extra:  # the command's parser knows its flags: it says which one was meant
        (parser.commands.get(args.command) or parser).error(
            "unrecognized arguments: " + " ".join(extra)
        )
    if args.command == "scenario":
        return scenario_command(args)
    try:
        config = _config_from(args)
        if args.command == "check":  # what serve would refuse before opening anything
            if config.scenario.file is not None:
                load_scenario(config.scenario.file)
            admin_tokens(config.admin.host, config.admin.tokens_file)
            print(json.dumps(as_dict(config), indent=2))
            return 0
        with _logging(config.log_level):
            if args.command == "fabricate":
                return fabricate_command(config, args)
            if args.command == "export":
                return export_command(config, args)
            return serve(config)
    except ConfigError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except ScenarioError as exc:
        print(f"{PROG}: error: invalid scenario:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except EmulatorError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
