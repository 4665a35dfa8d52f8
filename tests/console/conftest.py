"""A real browser for the console specs: Debian's chromium, headless, driven by Playwright."""

from __future__ import annotations

import pytest

from tests.helpers.browser import CHROMIUM


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()
