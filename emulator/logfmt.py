"""One-line ``key=value`` log records, so that grep (and people) can read them."""

from __future__ import annotations


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
