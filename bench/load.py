"""DICOM Fabricator under load and under hostile connections: figures, not tests.

    python bench/load.py                  # 60 s of load
    python bench/load.py --duration 180   # the engine issue's 3 minutes

It starts ``dicom-fabricator serve --empty`` (default settings) and measures:

1. **Hostile connections.** 300 TCP connections that send nothing and 60 that send 8 bytes of
   an A-ASSOCIATE-RQ and stop: the server's threads and resident memory with them open, the
   time a new client then takes to associate, echo and release, and the memory once they
   have closed (against the baseline before they opened).
2. **One association**, STORE + FIND + ECHO in a loop for 10 s: the single-association rate.
3. **50 concurrent associations** doing the same for ``--duration`` seconds: requests, lost
   responses (no response, or a status other than the one expected), aggregate rate, and
   the server-side time per request from the journal (p50, p99; the journal's ``ms``).

The clients are pynetdicom associations on the emulator's event loops (``tests.helpers
.ClientAE``): pynetdicom's own association loop can drop a response that arrives within
microseconds, which would be counted here as the server's loss.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pydicom.uid import CTImageStorage  # noqa: E402
from pynetdicom import build_context  # noqa: E402
from pynetdicom.sop_class import (  # noqa: E402
    StudyRootQueryRetrieveInformationModelFind,
    Verification,
)

from tests.helpers import ClientAE, make_dataset, query, serve_subprocess  # noqa: E402
from tests.helpers.pdus import associate_rq  # noqa: E402

FIND = StudyRootQueryRetrieveInformationModelFind


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS (kB) and Threads of a process."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "Threads"):
            fields[key] = int(value.split()[0])
    return fields


def echo_association(port: int) -> float:
    """Seconds to associate, echo and release."""
    start = time.perf_counter()
    ae = ClientAE(ae_title="PROBE")
    ae.add_requested_context(Verification)
    assoc = ae.associate("127.0.0.1", port, ae_title="FABRICATOR")
    assert assoc.is_established, "the probe was not accepted"
    assert assoc.send_c_echo().Status == 0
    assoc.release()
    return time.perf_counter() - start


def hostile(pid: int, port: int) -> list[tuple[str, str]]:
    for _ in range(3):
        echo_association(port)  # warm: the baseline is a server that has served
    base = proc_status(pid)
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(300)]
    partial = [socket.create_connection(("127.0.0.1", port)) for _ in range(60)]
    for conn in partial:
        conn.sendall(associate_rq()[:8])
    probes = [echo_association(port) for _ in range(5)]
    held = proc_status(pid)
    for conn in idle + partial:
        conn.close()
    echo_association(port)
    after = proc_status(pid)
    return [
        ("baseline", f"{base['VmRSS'] / 1024:.0f} MB RSS, {base['Threads']} threads"),
        (
            "with 300 idle + 60 partial connections open",
            f"{held['VmRSS'] / 1024:.0f} MB RSS, {held['Threads']} threads",
        ),
        (
            "new client meanwhile: associate + echo + release",
            f"{statistics.median(probes) * 1000:.1f} ms median, {max(probes) * 1000:.1f} ms max",
        ),
        (
            "after they closed",
            f"{after['VmRSS'] / 1024:.0f} MB RSS"
            f" ({(after['VmRSS'] / base['VmRSS'] - 1) * 100:+.0f}% of baseline),"
            f" {after['Threads']} threads",
        ),
    ]


@dataclass
class Tally:
    requests: int = 0
    lost: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def worker(port: int, n: int, until: float, tally: Tally) -> None:
    ae = ClientAE(ae_title=f"LOAD{n}")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 30
    for cx in (build_context(CTImageStorage), build_context(FIND), build_context(Verification)):
        ae.add_requested_context(cx.abstract_syntax)
    assoc = ae.associate("127.0.0.1", port, ae_title="FABRICATOR")
    if not assoc.is_established:
        with tally.lock:
            tally.lost.append(f"{n}: not associated")
        return
    i = 0
    try:
        while time.monotonic() < until:
            i += 1
            ds = make_dataset(study=10_000 + n, instance=i, patient=(f"LOAD^{n}", f"L{n}"))
            stored = assoc.send_c_store(ds).get("Status")
            found = [
                s.get("Status")
                for s, _ in assoc.send_c_find(
                    query("STUDY", PatientID=f"L{n}", StudyInstanceUID=""), FIND
                )
            ]
            echoed = assoc.send_c_echo().get("Status")
            with tally.lock:
                tally.requests += 3
                if stored != 0 or found != [0xFF00, 0] or echoed != 0:
                    tally.lost.append(f"{n}/{i}: store {stored}, find {found}, echo {echoed}")
    finally:
        assoc.release()


def load(port: int, clients: int, seconds: float) -> tuple[Tally, float]:
    tally = Tally()
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(target=worker, args=(port, n, until, tally)) for n in range(clients)
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return tally, time.perf_counter() - start


def server_times(admin: str, since: int) -> dict[str, list[float]]:
    """Server-side ms per service of the journal's messages after id *since*."""
    times: dict[str, list[float]] = {}
    while True:
        url = f"{admin}/api/journal?kind=message&since={since}&limit=1000"
        with urllib.request.urlopen(url, timeout=60) as rsp:
            page = json.load(rsp)
        for entry in page["entries"]:
            if entry.get("ms") is not None:
                times.setdefault(entry["service"], []).append(entry["ms"])
        if not page.get("next"):
            return times
        since = page["next"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of 50-client load")
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    with TemporaryDirectory(prefix="fabricator-load-") as tmp:
        proc, ready = serve_subprocess(Path(tmp) / "data", "--empty", "--log-level", "warning")
        port = int(ready["dicom"].rsplit(":", 1)[1])
        try:
            rows += hostile(proc.pid, port)
            single, took = load(port, 1, 10)
            single_rate = single.requests / took
            rows.append(("1 association, STORE+FIND+ECHO", f"{single_rate:.0f} requests/s"))
            tally, took = load(port, args.clients, args.duration)
            rate = tally.requests / took
            rows.append(
                (
                    f"{args.clients} associations for {args.duration:g} s",
                    f"{tally.requests:,} requests, {len(tally.lost)} lost,"
                    f" {rate:.0f} requests/s ({rate / single_rate:.2f}x one association)",
                )
            )
            for service, values in sorted(server_times(ready["admin"], 0).items()):
                rows.append(
                    (
                        f"  server-side {service}",
                        f"p50 {percentile(values, 0.5):.1f} ms, p99 {percentile(values, 0.99):.1f}"
                        f" ms, max {max(values):.1f} ms ({len(values):,})",
                    )
                )
            for problem in tally.lost[:10]:
                rows.append(("  lost", problem))
        finally:
            proc.terminate()
            proc.communicate(timeout=30)
    width = max(len(label) for label, _ in rows)
    print("\nDICOM Fabricator under load (default settings)\n")
    for label, figure in rows:
        print(f"  {label:<{width}}  {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
