"""A real browser (headless Chromium, driven by Playwright) runs a viewer's page served from
another origin that searches the emulator over DICOMweb: it works with the page's origin in
dicomweb.cors_origins, and the browser refuses it without."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from emulator import Emulator
from tests.conftest import make_config
from tests.helpers import PYDICOM_DATA, free_port
from tests.helpers.browser import CHROMIUM

pytestmark = pytest.mark.browser

PAGE = """<!doctype html>
<html><body><div id="result">waiting</div><script>
const base = "%s";
async function run() {
  try {
    const search = await fetch(base + "/studies?PatientID=1CT1",
                               {headers: {"Accept": "application/dicom+json"}});
    const studies = await search.json();
    // a header that is not CORS-safelisted: the browser sends a preflight first
    const series = await fetch(base + "/series", {headers: {"X-Viewer": "spec"}});
    const kind = search.headers.get("Content-Type");
    document.getElementById("result").textContent =
      "found " + studies[0]["00100020"]["Value"][0] + " " + series.status + " " + kind;
  } catch (error) {
    document.getElementById("result").textContent = "refused " + error;
  }
}
run();
</script></body></html>
"""


@contextmanager
def viewer_page_on(root: Path, base: str, port: int) -> Iterator[str]:
    """The viewer's page served on *port* (another origin than the emulator's), querying
    *base*; yields its URL."""
    (root / "index.html").write_text(PAGE % base)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format, *args):  # the spec's output stays the spec's
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/index.html"
    finally:
        server.shutdown()
        server.server_close()


def result_in_browser(url: str) -> str:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(url)
            page.wait_for_function(
                "document.getElementById('result').textContent !== 'waiting'", timeout=15000
            )
            return page.inner_text("#result")
        finally:
            browser.close()


@pytest.mark.parametrize("cors", [True, False], ids=["cors-on", "cors-off"])
def test_a_viewer_page_of_another_origin_searches_only_with_cors_on(tmp_path, cors):
    page_port = free_port()
    origin = f"http://127.0.0.1:{page_port}"
    settings = {"dicomweb__cors_origins": origin} if cors else {}
    with Emulator(make_config(tmp_path / "data", **settings)) as emulator:
        emulator.archive.import_instance(
            (PYDICOM_DATA / "test_files" / "CT_small.dcm").read_bytes()
        )
        base = f"{emulator.admin_url}/dicom-web"
        (tmp_path / "page").mkdir()
        with viewer_page_on(tmp_path / "page", base, page_port) as url:
            result = result_in_browser(url)
    if cors:
        assert result == "found 1CT1 200 application/dicom+json"
    else:
        assert result.startswith("refused TypeError"), result
