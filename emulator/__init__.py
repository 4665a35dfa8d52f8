"""DICOM Fabricator: a DICOM test server emulator."""

from emulator.app import Emulator
from emulator.config import Config, load_config
from emulator.version import __version__

__all__ = ["Config", "Emulator", "__version__", "load_config"]
