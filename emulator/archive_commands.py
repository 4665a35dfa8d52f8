"""The commands that work on an archive without serving it: ``fabricate``, ``export`` and
``users``. Imported by the command line only for them: ``serve`` starts without the
fabrication stack, the export and the account code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sqlite3
import sys

import tqdm

from emulator.arguments import PROG
from emulator.config import Config
from emulator.errors import ExportError, FabricationConflict
from emulator.services.accounts import AccountError, Accounts
from emulator.services.export import export
from emulator.services.fabrication import Job, fabricate_into
from storage import FileStore, Index, InstanceSource, StorageError, edge_cases
from storage.database import NOT_YET_SERVED, ArchiveDatabase
from storage.fabrication_spec import ENHANCED_OF, TRANSFER_SYNTAXES, FabricationSpec
from storage.filestore import prepare_data_dir


def _default_patients(profile: str) -> int:
    """One patient per case of a profile that has cases, else 3."""
    cases = {
        "edge-cases": edge_cases.CASES,
        "character-sets": edge_cases.CHARSET_CASES,
        "viewer-torture": edge_cases.TORTURE_CASES,
    }
    return len(cases.get(profile, "abc"))


def fabricate_command(config: Config, args: argparse.Namespace) -> int:
    try:
        spec = FabricationSpec(
            seed=args.seed,
            patients=args.patients or _default_patients(args.profile),
            studies_per_patient=args.studies_per_patient,
            series_per_study=args.series_per_study,
            instances_per_series=args.instances_per_series,
            modalities=tuple(
                ENHANCED_OF.get(m, m) if args.enhanced else m for m in args.modalities
            ),
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
    with tqdm.tqdm(total=spec.total, unit="instance", disable=None, file=sys.stderr) as bar:
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
        with tqdm.tqdm(total=total, unit="instance", disable=None, file=sys.stderr) as bar:
            done = export(index, source, args.out, args.study, bar.update)
    finally:
        index.close()
    print(f"{PROG}: exported {done.instances} instances with a DICOMDIR to {args.out}")
    for uid, reason in done.skipped.items():
        print(f"{PROG}: skipped {uid}: {reason}", file=sys.stderr)
    return 1 if done.skipped else 0


def _password(args: argparse.Namespace) -> str:
    """The password of ``users add|passwd``: stdin's first line, or typed twice."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise AccountError("no terminal to type the password on: pipe it with --password-stdin")
    first = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("again: ") != first:
        raise AccountError("the two passwords differ; nothing changed")
    return first


def users_command(config: Config, args: argparse.Namespace) -> int:
    """``users add|list|passwd|remove``: the local accounts in the data directory's index."""
    if args.action != "list" and not args.name:
        raise AccountError(f"users {args.action} needs a NAME")
    if args.action == "add" and args.role is None:
        raise AccountError("users add needs --role viewer, test_write or admin")
    data_dir = config.storage.data_dir
    new = not (data_dir / "index.sqlite").exists()
    try:
        prepare_data_dir(data_dir)
        database = ArchiveDatabase.open(data_dir / "index.sqlite")
        if new:  # the first serve still fabricates the demo archive (unless --empty)
            database.set_meta(NOT_YET_SERVED, "users")
    except (OSError, StorageError) as exc:
        raise AccountError(f"cannot open the archive in {data_dir}: {exc}") from exc
    try:
        accounts = Accounts(database)
        if args.action == "list":
            for user in accounts.users.all():
                print(f"{user.name}\t{user.role}\t{user.updated_at}")
        elif args.action == "add":
            accounts.add(args.name, args.role, _password(args))
            print(f"{PROG}: user {args.name} added ({args.role})")
        elif args.action == "passwd" and args.role is not None:
            accounts.set_role(args.name, args.role)
            print(f"{PROG}: user {args.name} is now {args.role}")
        elif args.action == "passwd":
            accounts.set_password(args.name, _password(args))
            print(f"{PROG}: user {args.name} has a new password")
        else:
            accounts.remove(args.name)
            print(f"{PROG}: user {args.name} removed")
    finally:
        database.close()
    return 0


def run(command: str, config: Config, args: argparse.Namespace) -> int:
    """Run ``fabricate``, ``export`` or ``users``."""
    commands = {"fabricate": fabricate_command, "export": export_command, "users": users_command}
    return commands[command](config, args)
