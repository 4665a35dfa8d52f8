"""A disposable PACS dies hard (kill -9 in a CI pipeline): what it acknowledged is still there."""

from __future__ import annotations

import os
import signal
import threading

from pydicom.uid import CTImageStorage
from pynetdicom import build_context

from tests.helpers import associate, find, make_dataset, query, serve_subprocess, wait_until


def test_kill_9_while_storing_loses_no_acknowledged_instance(tmp_path):
    """Two associations store as fast as they can; the server is killed with SIGKILL in the
    middle. Restarted on the same data directory, every instance it answered Success for is
    found by C-FIND, and nothing half-written is served (default settings: fsync off)."""
    data = tmp_path / "data"
    proc, ready = serve_subprocess(data, "--empty", "--log-level", "warning")
    port = int(ready["dicom"].rsplit(":", 1)[1])
    acknowledged: list[str] = []
    lock = threading.Lock()

    def store(series: int) -> None:
        assoc = associate(port, build_context(CTImageStorage))
        for n in range(1, 100_000):
            ds = make_dataset(study=7, series=series, instance=n)
            try:
                status = assoc.send_c_store(ds)
            except (RuntimeError, OSError):
                return
            if not status or status.get("Status") != 0x0000:
                return  # the connection went with the server: no answer, nothing promised
            with lock:
                acknowledged.append(ds.SOPInstanceUID)

    workers = [threading.Thread(target=store, args=(s,)) for s in (1, 2)]
    for worker in workers:
        worker.start()
    try:
        assert wait_until(lambda: len(acknowledged) >= 150, timeout=30)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        for worker in workers:
            worker.join(timeout=30)
        proc.stdout.close()
        proc.stderr.close()

    proc, ready = serve_subprocess(data, "--log-level", "warning")
    try:
        port = int(ready["dicom"].rsplit(":", 1)[1])
        stored: set[str] = set()
        for series in (1, 2):
            sample = make_dataset(study=7, series=series)
            found, final = find(
                port,
                query(
                    "IMAGE",
                    StudyInstanceUID=sample.StudyInstanceUID,
                    SeriesInstanceUID=sample.SeriesInstanceUID,
                    SOPInstanceUID="",
                ),
            )
            assert final.Status == 0x0000
            stored |= {str(ds.SOPInstanceUID) for ds in found}
        missing = set(acknowledged) - stored
        assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged instances lost"
    finally:
        proc.terminate()
        proc.communicate(timeout=15)
