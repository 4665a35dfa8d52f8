"""UID validation (PS3.5 §9.1) and safe path components derived from UIDs."""

from __future__ import annotations

import hashlib
import re

# PS3.5 §9.1: components of digits separated by ".", no leading zero in a
# multi-digit component, at most 64 characters in all.
_UID_RE = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*")
MAX_UID_LENGTH = 64


def is_valid_uid(value: object) -> bool:
    """Return True if *value* is a UID string valid per PS3.5 §9.1."""
    if not isinstance(value, str):
        return False
    return 0 < len(value) <= MAX_UID_LENGTH and _UID_RE.fullmatch(value) is not None


def uid_problem(value: object) -> str | None:
    """Say which PS3.5 §9.1 rule *value* breaks as a UID (short: it ends up in an
    ErrorComment), or return None if it is valid."""
    if isinstance(value, str) and len(value) <= MAX_UID_LENGTH and _UID_RE.fullmatch(value):
        return None  # the common case, decided by one compiled match
    if value is None or value == "":
        return "missing"
    if not isinstance(value, str):
        return f"not a string: {value!r}"
    if len(value) > MAX_UID_LENGTH:
        return f"too long: {len(value)} > {MAX_UID_LENGTH} characters"
    if not all(c.isdigit() or c == "." for c in value) or not value.isascii():
        return f"not digits and dots: {value[:24]!r}"
    components = value.split(".")
    if any(c == "" for c in components):
        return f"empty component: {value[:24]!r}"
    if any(len(c) > 1 and c[0] == "0" for c in components):
        return f"leading zeros in a component: {value[:24]!r}"
    return None


def shard(uid: str) -> str:
    """Directory shard for *uid*: one of 256, from a hash so that files spread evenly
    (a million instances is ~4,000 files a directory; few directories keep mkdir off the
    store path)."""
    return hashlib.sha1(uid.encode("ascii"), usedforsecurity=False).hexdigest()[:2]
