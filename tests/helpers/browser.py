"""A real browser for the specs: Debian's ``chromium`` driven by Playwright (PyPI), no browser
download."""

from __future__ import annotations

import importlib.util
import shutil

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PLAYWRIGHT = importlib.util.find_spec("playwright") is not None
