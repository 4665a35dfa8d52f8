"""Command line: ``dicom-fabricator [serve|check] [flags]`` (``python -m emulator`` too).

Flags are generated from the declared settings table (``emulator.config.settings``). This is
the only place that configures logging or touches library-global settings.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import logging
import signal
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, cast

from pynetdicom import _config as pynetdicom_config

from emulator.admin.auth import admin_tokens
from emulator.app import Emulator
from emulator.arguments import COMMANDS, PROG, build_parser
from emulator.config import REMOTE_AES, Config, as_dict, load_config, settings
from emulator.errors import ConfigError, EmulatorError
from emulator.launch import collecting_once_started
from emulator.logfmt import FoldLibraryTracebacks
from emulator.scenario.problems import ScenarioError
from storage.users import count_users


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
    identifiers = pynetdicom_config.LOG_RESPONSE_IDENTIFIERS
    _setup_logging(level)
    # pynetdicom formats every C-FIND response identifier for its debug log whatever the
    # logger's level (~3% of a large C-FIND's time): only when debugging.
    pynetdicom_config.LOG_RESPONSE_IDENTIFIERS = level == "debug"
    try:
        yield
    finally:
        pynetdicom_config.LOG_RESPONSE_IDENTIFIERS = identifiers
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


SWITCH_INTERVAL = 0.0005  # seconds; see serve()


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
    # Each association has threads that wait on sockets: after a system call a thread waits
    # for the GIL up to the switch interval (5 ms by default) while others compute. With 50
    # busy associations a C-STORE's few file and index calls then cost tens of milliseconds;
    # 0.5 ms brought its server-side p50 from ~78 to ~14 ms (bench/load.py).
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        with collecting_once_started() as started, Emulator(config) as emulator:
            started()  # what the start made is set aside: collections skip it from now on
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
        sys.setswitchinterval(switch_interval)
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
            logins = config.ldap.enabled or count_users(config.storage.data_dir / "index.sqlite")
            admin_tokens(config.admin.host, config.admin.tokens_file, bool(logins))
            print(json.dumps(as_dict(config), indent=2))
            return 0
        with _logging(config.log_level):
            if args.command in ("fabricate", "export", "users"):
                from emulator import archive_commands  # not loaded to serve

                return archive_commands.run(args.command, config, args)
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
