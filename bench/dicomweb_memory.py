"""The emulator's memory while DICOMweb moves a large study: STOW-RS of N x 512x512 instances
in one request, then WADO-RS of that study as stored, printing the server's resident set
(VmRSS) and its peak (VmHWM) after each. Run it for two sizes: the peak should not follow the
study's size, as both directions are streamed a part at a time.

    python bench/dicomweb_memory.py 100
    python bench/dicomweb_memory.py 400
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import UID_ROOT, write_files  # noqa: E402
from tests.helpers import serve_subprocess  # noqa: E402


def memory(pid: int) -> str:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return f"VmRSS {fields['VmRSS'].strip()}, peak VmHWM {fields['VmHWM'].strip()}"


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory(prefix="fabricator-memory-") as tmp:
        work = Path(tmp)
        write_files(work / "study", 700001, count, 512)
        files = sorted((work / "study").iterdir())
        size = sum(f.stat().st_size for f in files) / 1e6
        proc, ready = serve_subprocess(
            work / "emulator", "--empty", "--log-level", "warning", cwd=ROOT
        )
        try:
            base = f"{ready['admin']}/dicom-web"
            print(f"started: {memory(proc.pid)}")
            boundary = uuid.uuid4().hex

            def body() -> Iterator[bytes]:
                for path in files:
                    yield f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode()
                    yield path.read_bytes()
                    yield b"\r\n"
                yield f"--{boundary}--\r\n".encode()

            kind = f'multipart/related; type="application/dicom"; boundary={boundary}'
            stored = requests.post(f"{base}/studies", data=body(), headers={"Content-Type": kind})
            stored.raise_for_status()
            print(f"STOW-RS of {count} instances ({size:.0f} MB): {memory(proc.pid)}")
            accept = 'multipart/related; type="application/dicom"; transfer-syntax=*'
            with requests.get(
                f"{base}/studies/{UID_ROOT}.700001", headers={"Accept": accept}, stream=True
            ) as answer:
                answer.raise_for_status()
                got = sum(len(chunk) for chunk in answer.iter_content(1 << 20))
            print(f"WADO-RS of the study ({got / 1e6:.0f} MB): {memory(proc.pid)}")
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
