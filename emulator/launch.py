"""The process entry point of ``dicom-fabricator`` and ``python -m emulator``.

Before the command line loads anything, it defers what the emulator does not need to start
and answer a C-ECHO, but its libraries import at start (``emulator.deferred_imports``):

- pydicom's pixel plugins (``emulator.pixel_plugins``): GDCM, pylibjpeg and its codecs and
  pyjpegls, registered on the first look at a pixel decoder or encoder;
- numpy, which pydicom imports in a dozen modules and uses only for pixel data;
- pydicom's older pixel handlers (``pydicom.pixel_data_handlers``), which import the same
  libraries;
- ``requests``, ``urllib.request`` and ``tqdm``, which pydicom imports for downloading its
  test files, and ``pydicom.examples``, which looks up those files as it is imported;
- Pillow's colour management (``PIL.ImageCms``, which imports ``PIL.Image``), which pydicom's
  colour-space module imports for ICC profiles;
- ``uuid`` (which imports ``platform``), ``hashlib``, ``secrets`` and ``hmac``, which pydicom
  imports for making UIDs and the admin API's token check uses: OpenSSL's hashes and the
  platform's details load when a UID is first made or a token checked.

Each loads on first use, so nothing changes but the start. Only the process's own entry
does this: a program that imports ``emulator`` keeps its imports as they are.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from emulator import deferred_imports, pixel_plugins

_HANDLERS = "pydicom.pixel_data_handlers"
DEFERRED = (
    "numpy",
    "requests",
    "urllib.request",
    "tqdm",
    "uuid",
    "hashlib",
    "secrets",
    "hmac",
    "PIL.ImageCms",
    "pydicom.examples",
    *(
        f"{_HANDLERS}.{name}_handler"
        for name in ("gdcm", "pylibjpeg", "pillow", "jpeg_ls", "rle", "numpy")
    ),
)


def defer_imports() -> None:
    """Defer the modules above, in this process, from now on (idempotent)."""
    deferred_imports.install(DEFERRED, pixel_plugins.hooks())


@contextmanager
def collecting_once_started() -> Iterator[Callable[[], None]]:
    """No cyclic garbage collection until the caller says it has started (the function
    yielded): what a start imports and builds lives as long as the process, and a full
    collection scans all of it (~160,000 objects, 12 ms or more) holding the GIL, a first
    association's threads included. Once started, those objects are set aside for good
    (``gc.freeze``): the collections that follow look only at what requests make. The
    collector is back on when the block ends, started or not."""
    gc.disable()
    try:
        yield _started
    finally:
        gc.enable()


def _started() -> None:
    gc.freeze()
    gc.enable()


def main() -> int:
    """Run the command line with the deferred imports in place, and no garbage collection
    while it is imported (:func:`collecting_once_started`; ``serve`` keeps it off until the
    emulator has started)."""
    defer_imports()
    with collecting_once_started() as imported:
        from emulator.cli import main as command_line

        imported()  # the modules' objects: no collection need ever scan them

    return command_line()
