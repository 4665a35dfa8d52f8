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
    """Say what is wrong with *value* as a UID, or return None if it is valid."""
    if value is None or value == "":
        return "missing"
    if not isinstance(value, str):
        return f"not a string: {value!r}"
    if len(value) > MAX_UID_LENGTH:
        return f"{len(value)} characters, more than {MAX_UID_LENGTH} (PS3.5 §9.1)"
    if not _UID_RE.fullmatch(value):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"{shown!r} is not digits and dots without leading zeros (PS3.5 §9.1)"
    return None


def shard(uid: str) -> str:
    """Two-level directory shard for *uid*, from a hash so that it spreads evenly."""
    digest = hashlib.sha1(uid.encode("ascii"), usedforsecurity=False).hexdigest()
    return f"{digest[:2]}/{digest[2:4]}"
