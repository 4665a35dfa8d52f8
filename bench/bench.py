"""DICOM Fabricator benchmarks: figures, not tests.

Drives a server with DCMTK clients (run with TCP_NODELAY=1) and prints one table:

    python bench/bench.py                 # an emulator in-process, on a fresh data directory
    python bench/bench.py --quick         # 3 repetitions, 10,000 studies instead of 100,000
    python bench/bench.py --host H --port P --aet AE   # client figures for another server

Against the in-process emulator it also reports server-side C-FIND times (from the request
journal) over indexes of 1,000 and 100,000 studies, C-MOVE (to a local storescp) and C-GET
(getscu) of the stored studies and of a fabricated one (synthesized on demand) with the
emulator's peak memory, fabrication of 100,000 instances into an index (time, disk, memory),
synthesis of 512x512 CT instances, and cold start to the first C-ECHO.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian
from pynetdicom import AE
from pynetdicom.sop_class import Verification

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator import Emulator, load_config  # noqa: E402
from storage import Level, record_from_dataset  # noqa: E402
from storage.attributes import BY_KEYWORD  # noqa: E402
from storage.fabricate import synthesize  # noqa: E402
from storage.fabrication_spec import FabricationSpec, Position, positions  # noqa: E402
from storage.records import attribute_columns  # noqa: E402
from tests.helpers import dcmtk_path, free_port, serve_subprocess  # noqa: E402

ENV = {**os.environ, "TCP_NODELAY": "1"}
UID_ROOT = "1.2.826.0.1.3680043.10.1089.9"


def run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    path = dcmtk_path(tool)  # DCMTK's binary, not pynetdicom's same-named scripts
    if path is None:
        raise SystemExit(f"DCMTK's {tool} is needed: apt-get install dcmtk")
    r = subprocess.run((path, *args), capture_output=True, text=True, env=ENV, check=False)
    if r.returncode != 0:
        raise SystemExit(f"{tool} failed ({r.returncode}): {r.stderr.strip()[:500]}")
    return r


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def ct(study: int, instance: int, size: int) -> Dataset:
    ds = Dataset()
    ds.PatientName, ds.PatientID = f"BENCH^{study:06d}", f"B{study:06d}"
    ds.StudyInstanceUID = f"{UID_ROOT}.{study}"
    ds.SeriesInstanceUID = f"{UID_ROOT}.{study}.1"
    ds.SOPInstanceUID = f"{UID_ROOT}.{study}.1.{instance}"
    ds.SOPClassUID = CTImageStorage
    ds.StudyDate, ds.Modality, ds.AccessionNumber = "20240101", "CT", f"A{study:06d}"
    ds.InstanceNumber = instance
    ds.Rows = ds.Columns = size
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    ds.PixelRepresentation, ds.SamplesPerPixel = 0, 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = np.full(size * size, instance % 4096, dtype=np.uint16).tobytes()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


def write_files(folder: Path, study: int, count: int, size: int) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(1, count + 1):
        path = folder / f"{i:05d}.dcm"
        ct(study, i, size).save_as(path, enforce_file_format=True)
        total += path.stat().st_size
    return total


def bulk_index(emulator: Emulator, studies: int) -> None:
    """Index *studies* one-instance studies directly (no files: C-FIND only reads the index)."""
    template = record_from_dataset(ct(0, 1, 8), ExplicitVRLittleEndian)
    name, pid, acc = (BY_KEYWORD[k] for k in ("PatientName", "PatientID", "AccessionNumber"))
    uid_study, uid_series, uid_sop = (
        BY_KEYWORD[k] for k in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
    )

    def records(start: int, stop: int):  # type: ignore[no-untyped-def]
        for n in range(start, stop):
            cols = {level: dict(values) for level, values in template.columns.items()}
            cols[Level.PATIENT].update(attribute_columns(name, f"BULK^{n:06d}"))
            cols[Level.PATIENT].update(attribute_columns(pid, f"K{n:06d}"))
            cols[Level.STUDY].update(attribute_columns(acc, f"X{n:06d}"))
            cols[Level.STUDY].update(attribute_columns(uid_study, f"{UID_ROOT}.8.{n}"))
            cols[Level.SERIES].update(attribute_columns(uid_series, f"{UID_ROOT}.8.{n}.1"))
            cols[Level.IMAGE].update(attribute_columns(uid_sop, f"{UID_ROOT}.8.{n}.1.1"))
            record = replace(
                template,
                sop_instance_uid=f"{UID_ROOT}.8.{n}.1.1",
                series_instance_uid=f"{UID_ROOT}.8.{n}.1",
                study_instance_uid=f"{UID_ROOT}.8.{n}",
                columns=cols,
            )
            yield record, "objects/none.dcm", 0

    have = emulator.index.counts()["studies"]
    for start in range(have, studies, 5000):
        emulator.index.add_instances(records(start, min(start + 5000, studies)))


def findscu(host: str, port: int, aet: str, *keys: str) -> None:
    args = ["findscu", "-S", "-aec", aet]
    for key in keys:
        args += ["-k", key]
    run(*args, host, str(port))


def measure(
    host: str, port: int, aet: str, work: Path, reps: int, emulator: Emulator | None, big_index: int
) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    echo = [timed(lambda: run("echoscu", "-aec", aet, host, str(port))) for _ in range(reps)]
    rows.append(
        (
            "C-ECHO association (echoscu, incl. process start)",
            f"{statistics.median(echo) * 1000:.1f} ms median of {reps}",
        )
    )

    small = work / "small"
    write_files(small, 900001, 1000, 64)
    t = timed(lambda: run("storescu", "-aec", aet, "+sd", host, str(port), str(small)))
    rows.append(("C-STORE 1,000 x 64x64 16-bit, one association", f"{1000 / t:.0f} instances/s"))

    large = work / "large"
    size = write_files(large, 900002, 100, 512)
    t = timed(lambda: run("storescu", "-aec", aet, "+sd", host, str(port), str(large)))
    rows.append(
        (
            "C-STORE 100 x 512x512 16-bit, one association",
            f"{size / t / 1e6:.1f} MB/s ({100 / t:.0f} instances/s)",
        )
    )

    for studies in (1000, big_index):
        if emulator is not None:
            bulk_index(emulator, studies)
            have = emulator.index.counts()["studies"]
            rows.append(("index size for the C-FIND rows below", f"{have:,} studies"))
        n = studies // 2
        queries = {
            "exact PatientID": [f"PatientID=K{n:06d}"],
            "exact AccessionNumber": [f"AccessionNumber=X{n:06d}"],
            "wildcard PatientName prefix": [f"PatientName=BULK^{n // 100:04d}*"],
        }
        for label, keys in queries.items():

            def one(keys: list[str] = keys) -> None:
                findscu(host, port, aet, "QueryRetrieveLevel=STUDY", "StudyInstanceUID", *keys)

            client = [timed(one) for _ in range(reps)]
            figure = f"client {statistics.median(client) * 1000:.1f} ms"
            if emulator is not None:
                server = [m.ms for m in emulator.journal.messages(service="C-FIND")][-reps:]
                figure += f", server {statistics.median(server):.2f} ms"
                emulator.journal.clear()
            rows.append((f"C-FIND {label} ({studies:,} studies)", figure))
        if emulator is None:
            break  # another server: one round over whatever it holds
    return rows


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a process (Linux /proc), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def serve(data: Path, *extra: str) -> tuple[subprocess.Popen[str], int]:
    """``dicom-fabricator serve`` as a subprocess; returns it and its DICOM port."""
    proc, ready = serve_subprocess(data, "--log-level", "warning", *extra, cwd=ROOT)
    return proc, int(ready["dicom"].rsplit(":", 1)[1])


# A fabricated CT study of 100 slices of 512x512, added to the index as a recipe.
SYNTHESIZED = FabricationSpec(
    seed=77,
    patients=1,
    series_per_study=1,
    instances_per_series=100,
    modalities=("CT",),
    anchor=dt.date(2026, 1, 1),
)


def synthesis_rate(work: Path, count: int) -> str:
    """Instances/s of synthesizing 512x512 CT slices and encoding them as Part 10."""
    spec = FabricationSpec(
        seed=78,
        patients=1,
        series_per_study=1,
        instances_per_series=count,
        modalities=("CT",),
        anchor=dt.date(2026, 1, 1),
    )
    start = time.perf_counter()
    for position in positions(spec):
        ds = synthesize(spec, position)
        ds.save_as(work / "synth.dcm", enforce_file_format=True)
    return f"{count / (time.perf_counter() - start):.0f} instances/s"


def fabrication_figures(work: Path, instances: int) -> list[tuple[str, str]]:
    """``dicom-fabricator fabricate`` of *instances* into a new index: time, disk, memory."""
    data = work / "fabricated"
    patients = instances // 100
    args = ["--patients", str(patients), "--studies-per-patient", "2", "--series-per-study", "2"]
    args += ["--instances-per-series", "25", "--data-dir", str(data), "--log-level", "warning"]
    command = [sys.executable, "-m", "emulator", "fabricate", *args]
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak memory
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"fabricate failed with exit status {proc.returncode}")
    disk = sum(f.stat().st_size for f in data.rglob("*") if f.is_file()) / 1e6
    shutil.rmtree(data)
    return [
        (
            f"fabricate {instances:,} instances into the index",
            f"{elapsed:.1f} s, {disk:.0f} MB on disk, peak RSS {usage.ru_maxrss / 1024:.0f} MB",
        )
    ]


def retrieve_figures(data: Path, work: Path) -> list[tuple[str, str]]:
    """C-MOVE to a local storescp and C-GET with getscu, for the studies stored above and
    the fabricated one (synthesized as it is sent)."""
    dest_port = free_port()
    receiver = subprocess.Popen(
        [str(dcmtk_path("storescp")), "--aetitle", "BENCHDEST", "--ignore", str(dest_port)],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    proc, port = serve(data, "--remote-ae", f"dest=BENCHDEST@127.0.0.1:{dest_port}")
    rows = []
    try:
        fabricated = synthesize(SYNTHESIZED, Position(0, 0, 0, 0)).StudyInstanceUID
        for study, count, label in (
            (f"{UID_ROOT}.900002", 100, "100 x 512x512"),
            (f"{UID_ROOT}.900001", 1000, "1,000 x 64x64"),
            (fabricated, 100, "fabricated 100 x 512x512 CT"),
        ):
            keys = ["-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}"]
            t = timed(
                lambda keys=keys: run(
                    "movescu",
                    "-S",
                    "-aec",
                    "FABRICATOR",
                    "-aem",
                    "BENCHDEST",
                    *keys,
                    "127.0.0.1",
                    str(port),
                )
            )
            rows.append(
                (
                    f"C-MOVE {label} study to storescp",
                    f"{count / t:.0f} instances/s, emulator peak RSS"
                    f" {peak_rss_mb(proc.pid):.0f} MB",
                )
            )
            out = work / f"got{count}{len(rows)}"
            out.mkdir()
            t = timed(
                lambda keys=keys, out=out: run(
                    "getscu",
                    "-S",
                    "-aec",
                    "FABRICATOR",
                    "-od",
                    str(out),
                    *keys,
                    "127.0.0.1",
                    str(port),
                )
            )
            shutil.rmtree(out)
            rows.append(
                (
                    f"C-GET {label} study (getscu)",
                    f"{count / t:.0f} instances/s, emulator peak RSS"
                    f" {peak_rss_mb(proc.pid):.0f} MB",
                )
            )
    finally:
        proc.terminate()
        receiver.terminate()
        proc.wait(timeout=10)
        receiver.wait(timeout=10)
    return rows


def cold_start(work: Path, reps: int, *extra: str) -> str:
    """From launching ``serve`` to its first C-ECHO answered, its port tried every 2 ms from
    the launch (serve answers before its ready line, which waits for the admin API too).

    With bytecode, as ``pip install .`` leaves it: the first launch, untimed, writes every
    module's bytecode to a cache of its own (a checkout run with PYTHONDONTWRITEBYTECODE set
    would compile the emulator's ~100 modules at every launch, ~0.1 s)."""
    ae = AE()
    ae.add_requested_context(Verification)
    ae.acse_timeout = 10
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "bytecode")
    times = []
    for i in range(reps + 1):
        data, port = work / f"cold{i}{''.join(extra)}", free_port()
        args = ["--data-dir", str(data), "--host", "127.0.0.1", "--port", str(port)]
        args += ["--admin-port", "0", "--log-level", "warning", *extra]
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "emulator", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
            env=env,
        )
        while proc.poll() is None:
            try:  # a refused pynetdicom association costs it ~80 ms: poll the port bare
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                time.sleep(0.002)
                continue
            assoc = ae.associate("127.0.0.1", port, ae_title="FABRICATOR")
            if assoc.is_established:
                status = assoc.send_c_echo()
                assoc.release()
                if status and status.Status == 0x0000:
                    break
        times.append(time.perf_counter() - start)
        proc.terminate()
        proc.wait(timeout=10)
    times = times[1:]  # the first wrote the bytecode
    return f"{statistics.median(times) * 1000:.0f} ms median of {reps}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", help="benchmark another server instead of an in-process one")
    parser.add_argument("--port", type=int, default=11112)
    parser.add_argument("--aet", default="FABRICATOR", help="called AE title")
    parser.add_argument("--quick", action="store_true", help="3 repetitions, 10,000 studies")
    parser.add_argument("--fsync", action="store_true", help="in-process emulator fsyncs files")
    args = parser.parse_args()
    if dcmtk_path("storescu") is None:
        raise SystemExit("DCMTK is needed: apt-get install dcmtk")
    reps = 3 if args.quick else 7
    big = 10_000 if args.quick else 100_000
    with tempfile.TemporaryDirectory(prefix="fabricator-bench-") as tmp:
        work = Path(tmp)
        if args.host:
            rows = measure(args.host, args.port, args.aet, work, reps, None, big)
            target = f"{args.aet}@{args.host}:{args.port}"
        else:
            config = load_config(
                None,
                {
                    "dicom.host": "127.0.0.1",
                    "dicom.port": 0,
                    "admin.port": 0,
                    "storage.data_dir": work / "data",
                    "storage.fsync": args.fsync,
                },
            )
            with Emulator(config) as emulator:
                rows = measure(
                    "127.0.0.1", emulator.dicom_port, emulator.ae_title, work, reps, emulator, big
                )
                emulator.archive.fabricate(SYNTHESIZED)
            rows.extend(retrieve_figures(work / "data", work))
            rows.append(("synthesize + encode 512x512 CT (in-process)", synthesis_rate(work, 300)))
            rows.extend(fabrication_figures(work, 10_000 if args.quick else 100_000))
            rows.append(
                ("cold start to first C-ECHO, new data dir (demo archive)", cold_start(work, reps))
            )
            rows.append(
                (
                    "cold start to first C-ECHO, new data dir, --empty",
                    cold_start(work, reps, "--empty"),
                )
            )
            fsync = "on" if args.fsync else "off"
            target = f"in-process emulator (fsync {fsync})"
    width = max(len(r[0]) for r in rows)
    print(f"\nDICOM Fabricator benchmark: {target}, {os.cpu_count()} cores\n")
    for label, figure in rows:
        print(f"  {label:<{width}}  {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
