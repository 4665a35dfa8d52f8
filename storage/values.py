"""Normalized forms of DICOM values, shared by indexing and matching so both agree.

- PN (PS3.5 §6.2.1): component groups split on ``=``, components on ``^``; trailing spaces and
  empty trailing components or groups are insignificant.
- TM / DT (PS3.5 §6.2): partial values are padded to a fixed width so that string comparison in
  SQL orders them correctly; a range's upper bound is padded with the largest values.
- DA: the legacy ``YYYY.MM.DD`` form is accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone


def encodable(text: str, charset: str | Sequence[str]) -> bool:
    """Whether every character of *text* has a code in the Specific Character Set *charset*
    (one value, a backslash-joined string or a list; ISO 2022 code extensions each count).
    pydicom writes what has none as "?" with only a warning; this asks first, without
    touching the warnings filters (not thread-safe)."""
    from pydicom.charset import convert_encodings  # pydicom's names of the Python codecs

    values = charset.split("\\") if isinstance(charset, str) else list(charset)
    encodings = convert_encodings(values or ["ISO_IR 6"])

    def fits(character: str) -> bool:
        for encoding in encodings:
            try:
                character.encode(encoding)
            except (UnicodeError, LookupError):
                continue
            return True
        return False

    return all(fits(c) for c in set(text) if not c.isascii())


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the millisecond (the index's timestamps)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def pn_groups(value: str) -> list[str]:
    """Component groups of a PN value, each with insignificant trailing parts removed."""
    groups = []
    for group in value.split("="):
        components = [c.strip() for c in group.split("^")]
        while components and not components[-1]:
            components.pop()
        groups.append("^".join(components))
    while groups and not groups[-1]:
        groups.pop()
    return groups


def pn_alpha(value: str) -> str:
    """The normalized alphabetic group of a PN value."""
    groups = pn_groups(value)
    return groups[0] if groups else ""


def pn_norm(value: str) -> str:
    """All component groups of a PN value, normalized."""
    return "=".join(pn_groups(value))


def fold(value: str) -> str:
    """Case-fold for case-insensitive PN matching."""
    return value.casefold()


def da_norm(value: str) -> str:
    """``YYYYMMDD`` from a DA value (accepts the ACR-NEMA ``YYYY.MM.DD`` form)."""
    return value.strip().replace(".", "")


def tm_norm(value: str, upper: bool = False) -> str:
    """``HHMMSS.FFFFFF`` from a partial TM value; *upper* pads to the end of the period."""
    value = value.strip().replace(":", "")
    if not value:
        return ""
    main, _, frac = value.partition(".")
    filler, digit = ("235959", "9") if upper else ("000000", "0")
    return f"{(main + filler[len(main) :])[:6]}.{(frac + digit * 6)[:6]}"


_DT_LOW = "00000101000000"
_DT_HIGH = "99991231235959"


def dt_norm(value: str, upper: bool = False) -> str:
    """``YYYYMMDDHHMMSS.FFFFFF`` from a partial DT value (any UTC offset is ignored)."""
    value = value.strip()
    for sign in ("+", "-"):
        cut = value.find(sign, 4)
        if cut != -1:
            value = value[:cut]
    if not value:
        return ""
    main, _, frac = value.partition(".")
    filler, digit = (_DT_HIGH, "9") if upper else (_DT_LOW, "0")
    return f"{(main + filler[len(main) :])[:14]}.{(frac + digit * 6)[:6]}"
