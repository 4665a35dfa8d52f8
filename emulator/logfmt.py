"""One-line ``key=value`` log records, so that grep (and people) can read them."""

from __future__ import annotations

import logging


def kv(**fields: object) -> str:
    """Format *fields* as ``key=value`` pairs; values with spaces are quoted; None is skipped."""
    parts = []
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, float):
            text = f"{value:.1f}"
        elif isinstance(value, int) and key == "status":
            text = f"0x{value:04X}"
        else:
            text = str(value)
        if not text or any(c in text for c in ' "='):
            text = '"' + text.replace('"', '\\"') + '"'
        parts.append(f"{key}={text}")
    return " ".join(parts)


class FoldLibraryTracebacks(logging.Filter):
    """Fold the traceback of a library's log record into its one line, and drop the lines
    that only announce the next one.

    pynetdicom logs a full traceback (``LOGGER.exception``) for input it cannot decode:
    malformed PDUs, invalid DIMSE messages, a handler of its own failing on a bad command.
    For a test server that is bad input from the peer, not a bug of the emulator's, so the
    record keeps its message and gains ``error=Type: text`` instead of the traceback.
    Records of the emulator's own loggers keep their tracebacks (those are bugs to fix).
    """

    def __init__(self, prefixes: tuple[str, ...] = ("pynetdicom", "pydicom")) -> None:
        super().__init__()
        self.prefixes = prefixes

    # Lines that only announce the detail the next line gives.
    PREFACES = frozenset(
        {"Unable to decode the received PDU data", "Received an invalid DIMSE message"}
    )

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(self.prefixes) and record.msg in self.PREFACES:
            return False
        if record.exc_info and record.name.startswith(self.prefixes):
            exc = record.exc_info[1]
            if exc is not None:
                text = " ".join(str(exc).split())[:200]
                record.msg = f"{record.getMessage()} {kv(error=f'{type(exc).__name__}: {text}')}"
                record.args = None
            record.exc_info = None
            record.exc_text = None
        return True
