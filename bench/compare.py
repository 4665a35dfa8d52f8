"""DICOM Fabricator against Orthanc, side by side: figures, not tests.

One run starts both servers on fresh data directories with their default settings (Orthanc
from Debian's ``orthanc`` package, the emulator as ``dicom-fabricator serve --empty``), drives
both with the same DCMTK clients (TCP_NODELAY=1 for clients and for Orthanc, which uses DCMTK's
network code), and prints each figure for both servers with the ratio:

    python bench/compare.py            # 5 repetitions (30 of echoscu and findscu)
    python bench/compare.py --quick    # 3 repetitions (18), 300 small instances
    python bench/compare.py --fsync    # the emulator with storage.fsync on

A ratio above 1.0 means the emulator is ahead (faster or more per second). Each server gets
the same work in the same order. Both run from the start, idle while the other works: each
bulk figure is taken for one server right after the other (the order swapped from figure to
figure; the repeated ones, C-FIND of every study, C-MOVE and C-GET, repetition by
repetition), then echoscu and findscu of one exact match alternate between them, so that
the machine's drift touches both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import dicomweb_figures as dicomweb  # noqa: E402  (bench/, the script's directory)

from bench import ENV, UID_ROOT, peak_rss_mb, run, write_files  # noqa: E402
from tests.helpers import dcmtk_path, free_port, serve_subprocess  # noqa: E402
from tests.helpers.orthanc import DICOMWEB_PLUGIN, ORTHANC  # noqa: E402
from tests.helpers.orthanc import orthanc as start_orthanc  # noqa: E402

DEST, GETTER = "BENCHDEST", "BENCHGET"


@dataclass
class Server:
    name: str
    ae_title: str
    port: int
    pid: int
    dicomweb: str  # the DICOMweb base URL


@dataclass
class Figure:
    label: str
    unit: str
    higher_is_better: bool
    values: dict[str, float]

    def ratio(self) -> float | None:
        ours, theirs = self.values.get("emulator"), self.values.get("orthanc")
        if not ours or not theirs:
            return None
        return ours / theirs if self.higher_is_better else theirs / ours


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@contextmanager
def emulator(work: Path, dest_port: int, fsync: bool) -> Iterator[Server]:
    extra = ["--empty", "--remote-ae", f"dest={DEST}@127.0.0.1:{dest_port}"]
    extra += ["--remote-ae", f"getter={GETTER}@127.0.0.1:{free_port()}", "--log-level", "warning"]
    if fsync:
        extra.append("--fsync")
    proc, ready = serve_subprocess(work / "emulator", *extra, cwd=ROOT)
    try:
        port = int(ready["dicom"].rsplit(":", 1)[1])
        yield Server("emulator", "FABRICATOR", port, proc.pid, f"{ready['admin']}/dicom-web")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextmanager
def orthanc(work: Path, dest_port: int) -> Iterator[Server]:
    """Orthanc as the specs start it (tests/helpers/orthanc.py), answering any calling AE, with
    DCMTK's TCP_NODELAY for its DICOM connections."""
    modalities = {
        "dest": (DEST, "127.0.0.1", dest_port),
        "getter": (GETTER, "127.0.0.1", free_port()),
    }
    settings: dict[str, object] = {
        f"DicomAlwaysAllow{what}": True for what in ("Store", "Find", "Move", "Get")
    }
    if DICOMWEB_PLUGIN is not None:  # Debian's orthanc-dicomweb
        settings["Plugins"] = [DICOMWEB_PLUGIN]
        settings["DicomWeb"] = {"Enable": True, "Root": "/dicom-web/"}
    with start_orthanc(work, modalities, settings=settings, env=ENV) as server:
        base = f"{server.url}/dicom-web" if DICOMWEB_PLUGIN is not None else ""
        yield Server("orthanc", server.ae_title, server.dicom_port, server.pid, base)


def checked(tool: str, *args: str, expect: int | None = None) -> None:
    """Run a DCMTK client verbosely and make sure the work was really done: a final Success
    response and, for C-FIND, *expect* matches (a refusal would otherwise look fast)."""
    r = run(tool, "-v", *args)
    text = r.stdout + r.stderr
    final = [line for line in text.splitlines() if "Final" in line and "Response" in line]
    if not final or "Success" not in final[-1]:
        raise SystemExit(f"{tool} {' '.join(args)} did not succeed:\n{text[-2000:]}")
    if expect is not None:
        found = sum("Find Response:" in line for line in text.splitlines())
        if found != expect:
            raise SystemExit(f"{tool} found {found} matches, not {expect}")


def measure(
    server: Server,
    out: dict[str, float],
    work: Path,
    reps: int,
    data: tuple[Path, Path, Path],
    n_small: int,
) -> Iterator[None]:
    """The bulk figures for one server, in a fixed order, into *out*: a pause after each
    step (:func:`interleaved` runs both servers' step by step; the association latencies and
    the peak RSS are taken once both are done, :func:`association_latencies`)."""
    host, port, aet = "127.0.0.1", str(server.port), server.ae_title
    small, large, stow = data
    t = timed(lambda: run("storescu", "-aec", aet, "+sd", host, port, str(small)))
    out["store_small"] = n_small / t
    yield
    size = sum(f.stat().st_size for f in large.iterdir())
    t = timed(lambda: run("storescu", "-aec", aet, "+sd", host, port, str(large)))
    out["store_large"] = size / t / 1e6
    yield
    study = n_small // 2 + 1
    query = ["-S", "-aec", aet, "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID"]
    every = []
    for _ in range(reps):  # each repetition beside the other server's (interleaved)
        every.append(
            timed(
                lambda: checked(
                    "findscu",
                    *query,
                    "-k",
                    "PatientName=BENCH*",
                    "-k",
                    "PatientID",
                    host,
                    port,
                    expect=n_small + 1,  # and the large study
                )
            )
        )
        yield
    out["find_all"] = statistics.median(every) * 1000
    keys = ["-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={UID_ROOT}.900002"]
    moves = []
    for _ in range(reps):
        moves.append(
            timed(lambda: checked("movescu", "-S", "-aec", aet, "-aem", DEST, *keys, host, port))
        )
        yield
    out["move"] = 100 / statistics.median(moves)
    gets = []
    for i in range(reps):
        target = work / f"get-{server.name}-{i}"
        target.mkdir()
        gets.append(
            timed(
                lambda target=target: run(
                    "getscu",
                    "-S",
                    "-aet",
                    GETTER,
                    "-aec",
                    aet,
                    "-od",
                    str(target),
                    *keys,
                    host,
                    port,
                )
            )
        )
        received = len(list(target.iterdir()))
        if received != 100:
            raise SystemExit(f"getscu received {received} instances, not 100")
        shutil.rmtree(target)
        yield
    out["get"] = 100 / statistics.median(gets)
    if server.dicomweb:
        out |= dicomweb.measure(
            server.dicomweb,
            reps,
            f"B{study:06d}",
            n_small + 1,
            f"{UID_ROOT}.900002",
            sorted(stow.iterdir()),
        )


def interleaved(runs: list[Iterator[None]]) -> None:
    """Run each server's figures in turn, step by step (a figure, or one repetition of a
    repeated one: C-FIND of every study, C-MOVE, C-GET), the order of the servers swapped at
    each step (A B, B A, A B...): a step of one server is taken right beside the other's, so
    that the machine's drift over the run touches both alike."""
    turn = 0
    while runs:
        for run_ in list(runs if turn % 2 == 0 else reversed(runs)):
            if next(run_, StopIteration) is StopIteration:
                runs.remove(run_)
        turn += 1


def association_latencies(
    servers: list[Server], reps: int, n_small: int
) -> dict[str, dict[str, float]]:
    """echoscu and findscu of one exact match (each mostly the client's own ~20 ms start),
    run against each server in turn, *reps* times: the machine's drift over the run touches
    both servers alike instead of moving the ratio."""
    times: dict[str, dict[str, list[float]]] = {}
    for _ in range(reps):
        for server in servers:
            for key, seconds in _association_round(server, n_small // 2 + 1).items():
                times.setdefault(server.name, {}).setdefault(key, []).append(seconds)
    return {
        name: {key: statistics.median(values) * 1000 for key, values in figures.items()}
        for name, figures in times.items()
    }


def _association_round(server: Server, study: int) -> dict[str, float]:
    host, port, aet = "127.0.0.1", str(server.port), server.ae_title
    query = ["-S", "-aec", aet, "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID"]
    exact = [*query, "-k", f"PatientID=B{study:06d}", host, port]
    return {
        "echo": timed(lambda: run("echoscu", "-aec", aet, host, port)),
        "find_exact": timed(lambda: checked("findscu", *exact, expect=1)),
    }


FIGURES = [
    ("echo", "C-ECHO association (echoscu, median)", "ms", False),
    ("store_small", "C-STORE {n} x 64x64, one association", "instances/s", True),
    ("store_large", "C-STORE 100 x 512x512, one association", "MB/s", True),
    ("find_exact", "C-FIND exact PatientID (findscu, median)", "ms", False),
    ("find_all", "C-FIND returning {n1} studies (findscu, median)", "ms", False),
    ("move", "C-MOVE 100 x 512x512 to storescp (median)", "instances/s", True),
    ("get", "C-GET 100 x 512x512 (getscu, median)", "instances/s", True),
    *dicomweb.FIGURES,
    ("rss", "peak RSS after all of the above", "MB", False),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 repetitions, 300 small instances")
    parser.add_argument("--fsync", action="store_true", help="the emulator with storage.fsync on")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if dcmtk_path("storescu") is None:
        raise SystemExit("DCMTK is needed: apt-get install dcmtk")
    reps = 3 if args.quick else 5
    n_small = 300 if args.quick else 1000
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="fabricator-compare-") as tmp:
        work = Path(tmp)
        small, large = work / "small", work / "large"
        for i in range(n_small):  # one-instance studies, as modalities send them
            write_files(small / f"{i:05d}", i + 1, 1, 64)
        flat = work / "small-flat"
        flat.mkdir()
        for i, path in enumerate(sorted(small.rglob("*.dcm"))):
            path.rename(flat / f"{i:05d}.dcm")
        write_files(large, 900002, 100, 512)
        stow = work / "stow"  # new instances for STOW-RS, one study each
        stow.mkdir()
        for i in range(n_small):
            write_files(work / "stow-studies" / f"{i:05d}", 500000 + i, 1, 64)
        for i, path in enumerate(sorted((work / "stow-studies").rglob("*.dcm"))):
            path.rename(stow / f"{i:05d}.dcm")
        dest_port = free_port()
        receiver = subprocess.Popen(
            [str(dcmtk_path("storescp")), "--aetitle", DEST, "--ignore", str(dest_port)],
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            servers = [("emulator", lambda: emulator(work, dest_port, args.fsync))]
            if ORTHANC is not None:
                servers.append(("orthanc", lambda: orthanc(work, dest_port)))
            else:
                print("Orthanc is not installed (apt-get install orthanc): emulator figures only")
            with ExitStack() as running:  # both up: the latencies alternate between them
                started = [running.enter_context(start()) for _, start in servers]
                data = (flat, large, stow)
                for server in started:
                    results[server.name] = {}
                interleaved(
                    [measure(s, results[s.name], work, reps, data, n_small) for s in started]
                )
                for name, figures in association_latencies(started, reps * 6, n_small).items():
                    results[name] |= figures
                for server in started:
                    results[server.name]["rss"] = peak_rss_mb(server.pid)
        finally:
            receiver.terminate()
            receiver.wait(timeout=10)
    figures = [
        Figure(
            label.format(n=f"{n_small:,}", n1=f"{n_small + 1:,}"),
            unit,
            better,
            {k: v[key] for k, v in results.items() if key in v},
        )
        for key, label, unit, better in FIGURES
    ]
    fsync = "on" if args.fsync else "off"
    print(f"\nDICOM Fabricator vs Orthanc, {os.cpu_count()} cores, emulator fsync {fsync}\n")
    width = max(len(f.label) for f in figures)
    print(f"  {'figure':<{width}}  {'emulator':>12}  {'Orthanc':>12}  ratio")
    for f in figures:
        ours = f"{f.values.get('emulator', float('nan')):.1f} {f.unit}"
        theirs = f"{f.values['orthanc']:.1f}" if "orthanc" in f.values else "-"
        ratio = f.ratio()
        print(
            f"  {f.label:<{width}}  {ours:>12}  {theirs:>12}  {f'{ratio:.2f}x' if ratio else '-'}"
        )
    print("\nratio: the emulator's figure relative to Orthanc's; above 1.00x the emulator is ahead")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
