"""The web console's two targets, measured in a real browser (Debian's chromium, driven by
Playwright), against an emulator served as a user serves it:

1. the first page (the studies, listed) of an archive of 100,000 fabricated instances loads in
   under 300 ms on loopback: the time from navigation to the first rows drawn, in a new
   browser context each time (nothing cached), median and worst of 7;
2. the live journal keeps up with 200 messages a second: C-ECHOs sent at that pace for 10 s
   while the journal page is open; every record must arrive, and the page's main thread
   must not freeze (the longest gap a 50 ms timer in the page saw, and how long after the
   last echo its record was shown).

    python bench/console.py            # 100,000 instances (fabricated once, ~45 s)
    python bench/console.py --quick    # 10,000 instances, 5 s of journal

The data directory is kept under the system's temporary directory between runs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import associate, serve_subprocess  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PROBE = """() => {
  window.__worst = 0;
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    window.__worst = Math.max(window.__worst, now - last - 50);
    last = now;
  }, 50);
}"""


def archive(instances: int) -> Path:
    """A data directory holding *instances* fabricated instances (made once, then reused)."""
    data = Path(tempfile.gettempdir()) / f"fabricator-console-bench-{instances}"
    if not (data / "index.sqlite").exists():
        print(f"fabricating {instances:,} instances into {data} (once) ...", flush=True)
        patients = instances // 50
        subprocess.run(
            [sys.executable, "-m", "emulator", "fabricate", "--data-dir", str(data),
             "--patients", str(patients), "--studies-per-patient", "1",
             "--series-per-study", "2", "--instances-per-series", "25",
             "--modalities", "CT,MR", "--matrix", "64", "--log-level", "warning"],
            check=True, cwd=ROOT,
        )  # fmt: skip
    return data


def first_page(browser, url: str, runs: int = 7) -> list[float]:  # type: ignore[no-untyped-def]
    """Milliseconds from the start of navigation to the first study rows drawn (the page's
    own clock: the performance mark the console sets), each in a new context."""
    times = []
    for _ in range(runs):
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "/")
        page.wait_for_selector("#study-rows tr")
        times.append(page.evaluate("performance.getEntriesByName('studies-shown')[0].startTime"))
        context.close()
    return times


def journal_pace(browser, url: str, port: int, rate: int, seconds: float) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Echoes at *rate* per second for *seconds* with the journal page open."""
    page = browser.new_page()
    page.goto(url + "/")
    page.click("#tabs button[data-tab=journal]")
    page.evaluate(PROBE)
    assoc = associate(port)
    total = int(rate * seconds)
    started = time.perf_counter()
    for n in range(total):
        due = started + n / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)  # the pace of a busy modality, not a wait for a result
        assoc.send_c_echo()
    sent = time.perf_counter()
    assoc.release()
    page.locator("#journal-count", has_text=f"{total} records").wait_for(timeout=60_000)
    shown = time.perf_counter()
    worst = page.evaluate("window.__worst")
    page.close()
    return {
        "sent": total,
        "rate": total / (sent - started),
        "lag_ms": (shown - sent) * 1000,
        "worst_stall_ms": worst,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 instances, 5 s of journal")
    args = parser.parse_args()
    if CHROMIUM is None:
        print("chromium is needed: apt-get install chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    instances = 10_000 if args.quick else 100_000
    data = archive(instances)
    proc, ready = serve_subprocess(data, "--log-level", "warning", cwd=ROOT)
    try:
        url, port = ready["admin"], int(ready["dicom"].rsplit(":", 1)[1])
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            times = first_page(browser, url)
            print(
                f"first page, {instances:,} instances: median {statistics.median(times):.0f} ms,"
                f" worst {max(times):.0f} ms (target < 300 ms)"
            )
            pace = journal_pace(browser, url, port, 200, 5 if args.quick else 10)
            print(
                f"journal at {pace['rate']:.0f} messages/s: {pace['sent']:.0f} of"
                f" {pace['sent']:.0f} shown, the last {pace['lag_ms']:.0f} ms after it was"
                f" answered; the page's longest stall {pace['worst_stall_ms']:.0f} ms"
            )
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
