"""DICOMweb figures for bench/compare.py: the same HTTP client (requests, one keep-alive session
as a viewer holds) against the emulator's DICOMweb and Orthanc's DICOMweb plugin, on the data
compare.py stored in both by C-STORE.

- QIDO-RS studies by exact PatientID (median of repeated searches);
- QIDO-RS returning every study (1,000 and the large one; no filter, as Orthanc's plugin
  answers no PatientName wildcard);
- WADO-RS of the 100 x 512x512 study, as stored (``transfer-syntax=*``), in MB/s;
- STOW-RS of 1,000 new small instances in one request, in instances/s.

Each answer is checked (the number of matches, of parts, of instances stored), so that a
refusal never passes for speed.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import requests

DICOM_ANY = 'multipart/related; type="application/dicom"; transfer-syntax=*'


def _timed_get(
    session: requests.Session, url: str, **kw: object
) -> tuple[float, requests.Response]:
    start = time.perf_counter()
    response = session.get(url, timeout=600, **kw)  # type: ignore[arg-type]
    response.raise_for_status()
    _ = response.content
    return time.perf_counter() - start, response


def _multipart(files: list[Path], boundary: str) -> Iterator[bytes]:
    for path in files:
        yield f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode()
        yield path.read_bytes()
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()


def measure(
    base: str, reps: int, exact_id: str, n_studies: int, large_study: str, stow: list[Path]
) -> dict[str, float]:
    """The DICOMweb figures of the server at *base* (``http://host:port/dicom-web``)."""
    out: dict[str, float] = {}
    with requests.Session() as session:
        json_accept = {"Accept": "application/dicom+json"}
        exact = []
        for _ in range(reps * 2):
            t, r = _timed_get(
                session, f"{base}/studies", params={"PatientID": exact_id}, headers=json_accept
            )
            if len(r.json()) != 1:
                raise SystemExit(f"QIDO by PatientID found {len(r.json())} studies, not 1")
            exact.append(t)
        out["qido_exact"] = statistics.median(exact) * 1000
        every = []
        for _ in range(reps):
            # no filter: Orthanc's plugin (1.7) matches no PatientName=BENCH* at all
            t, r = _timed_get(session, f"{base}/studies", headers=json_accept)
            if len(r.json()) != n_studies:
                raise SystemExit(f"QIDO of every study found {len(r.json())}, not {n_studies}")
            every.append(t)
        out["qido_all"] = statistics.median(every) * 1000
        rates = []
        for _ in range(reps):
            t, r = _timed_get(
                session, f"{base}/studies/{large_study}", headers={"Accept": DICOM_ANY}
            )
            parts = r.content.count(b"Content-Type: application/dicom")
            if parts != 100:
                raise SystemExit(f"WADO-RS sent {parts} instances, not 100")
            rates.append(len(r.content) / t / 1e6)
        out["wado_large"] = statistics.median(rates)
        boundary = uuid.uuid4().hex
        start = time.perf_counter()
        response = session.post(
            f"{base}/studies",
            data=_multipart(stow, boundary),
            headers={
                "Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}',
                "Accept": "application/dicom+json",
            },
            timeout=600,
        )
        elapsed = time.perf_counter() - start
        response.raise_for_status()
        stored = response.json().get("00081199", {}).get("Value", [])
        if len(stored) != len(stow):
            raise SystemExit(f"STOW-RS stored {len(stored)} of {len(stow)} instances")
        out["stow_small"] = len(stow) / elapsed
    return out


FIGURES = [
    ("qido_exact", "QIDO-RS studies, exact PatientID (median)", "ms", False),
    ("qido_all", "QIDO-RS returning {n1} studies (median)", "ms", False),
    ("wado_large", "WADO-RS 100 x 512x512 study, as stored", "MB/s", True),
    ("stow_small", "STOW-RS {n} x 64x64 in one request", "instances/s", True),
]
