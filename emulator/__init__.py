"""DICOM Fabricator: a DICOM test server emulator.

``Emulator``, ``Config`` and ``load_config`` load on first use, so that importing a small
module of the package (``emulator.scenario.problems``, ``emulator.client``) does not load the
whole server: pynetdicom, aiohttp, numpy and the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.version import __version__

if TYPE_CHECKING:
    from emulator.app import Emulator
    from emulator.config import Config, load_config

__all__ = ["Config", "Emulator", "__version__", "load_config"]


def __getattr__(name: str) -> Any:
    if name == "Emulator":
        from emulator.app import Emulator

        return Emulator
    if name in ("Config", "load_config"):
        from emulator import config

        return getattr(config, name)
    raise AttributeError(f"module 'emulator' has no attribute {name!r}")
