"""A real browser for the specs: Debian's ``chromium`` driven by Playwright (PyPI), no browser
download."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PLAYWRIGHT = importlib.util.find_spec("playwright") is not None

ROOT = Path(__file__).resolve().parents[2]
# screenshots of each console page, kept by CI as artifacts (the README names the folder)
SHOTS = Path(os.environ.get("FABRICATOR_ARTIFACTS", ROOT / "test-artifacts")) / "console"


def expect(locator: Any) -> Any:
    """Playwright's expect (imported late: the specs skip where Playwright is missing)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(browser: Any, url: str, name: str, password: str) -> Any:
    """A new page on the console at *url*, its login form filled and sent."""
    page = browser.new_page()
    page.goto(url + "/")
    page.fill("#login input[name=name]", name)
    page.fill("#login input[name=password]", password)
    page.click("#login button[type=submit]")
    return page
