"""PS3.4 C.2.2.2 matching types compiled to SQL conditions.

Each matching type is one function returning an SQL condition and its parameters, or None for
universal matching; :func:`condition` picks the type an attribute's kind calls for. C-FIND
(``storage.matching``) and the worklist (``storage.worklist``) build their queries from these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset

from storage.attributes import Attribute
from storage.errors import InvalidIdentifier
from storage.records import text
from storage.uids import uid_problem
from storage.values import da_norm, dt_norm, fold, pn_norm, tm_norm

Condition = tuple[str, list[Any]]

_DA_RE = re.compile(r"\d{8}")


@dataclass(frozen=True, slots=True)
class MatchOptions:
    """Site policy for matching.

    ``pn_case_insensitive``: PN matching ignores case (C.2.2.2.1.1 leaves it to the SCP).
    ``reject_lower_level_keys``: a key below the query level (say Modality in a STUDY query)
    fails the query with 0xA900; otherwise it is neither matched nor filled, and is returned
    empty, as most archives do.
    """

    pn_case_insensitive: bool = True
    reject_lower_level_keys: bool = False


def _is_universal(value: str) -> bool:
    """Universal matching (C.2.2.2.3): zero length, or a lone ``*`` (C.2.2.2.4)."""
    return value == "" or value == "*"


def _glob(pattern: str) -> str:
    """DICOM wildcards ``*`` and ``?`` as an SQLite GLOB pattern (``[`` escaped)."""
    return pattern.replace("[", "[[]")


def single_or_wildcard(expr: str, value: str, transform: Any = None) -> Condition | None:
    """Single value (C.2.2.2.1) or wildcard (C.2.2.2.4) matching; ``\\`` lists match any."""
    if _is_universal(value):
        return None
    parts, params = [], []
    for v in value.split("\\"):
        v = transform(v) if transform else v
        if "*" in v or "?" in v:
            parts.append(f"{expr} GLOB ?")
            params.append(_glob(v))
        else:
            parts.append(f"{expr} = ?")
            params.append(v)
    return (parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"), params


def uid_list(expr: str, value: str, keyword: str) -> Condition | None:
    """Single UID or list of UID matching (C.2.2.2.2)."""
    if _is_universal(value):
        return None
    uids = value.split("\\")
    for uid in uids:
        problem = uid_problem(uid)
        if problem:
            raise InvalidIdentifier(f"{keyword}: {problem}", tag=tag_for_keyword(keyword))
    if len(uids) == 1:
        return f"{expr} = ?", uids
    return f"{expr} IN ({', '.join('?' for _ in uids)})", uids


def person_name(attribute: Attribute, value: str, options: MatchOptions) -> Condition | None:
    """PN matching: on the alphabetic group, case insensitive by default (C.2.2.2.1.1).

    A query value with ``=`` component groups matches all groups, case sensitively.
    """
    if _is_universal(value):
        return None
    if "=" in value:
        return single_or_wildcard(f"{attribute.sql}_norm", pn_norm(value))
    if options.pn_case_insensitive:
        return single_or_wildcard(f"{attribute.sql}_fold", value, lambda v: fold(pn_norm(v)))
    return single_or_wildcard(f"{attribute.sql}_alpha", value, pn_norm)


def date_range(expr: str, value: str, keyword: str) -> Condition | None:
    """DA single value or range matching (C.2.2.2.5): ``A``, ``A-B``, ``A-``, ``-B``."""
    if _is_universal(value):
        return None
    low, dash, high = (da_norm(v) for v in value.partition("-"))
    for bound in (low, high):
        if bound and not _DA_RE.fullmatch(bound):
            raise InvalidIdentifier(f"{keyword}: {value!r} is not a date or date range")
    if not dash:
        return f"{expr} = ?", [low]
    return bounds(expr, low, high)


def time_range(expr: str, value: str, keyword: str, datetime: bool) -> Condition | None:
    """TM/DT range matching (C.2.2.2.5); a single partial value matches its whole period."""
    if _is_universal(value):
        return None
    norm = dt_norm if datetime else tm_norm
    low, dash, high = value.partition("-")
    if datetime and dash and low and len(low) < 4:  # "-B" is a range, "+0100" offsets are not
        raise InvalidIdentifier(f"{keyword}: {value!r} is not a date-time or range")
    if not dash:
        high = low
    try:
        return bounds(expr, norm(low) if low else "", norm(high, upper=True) if high else "")
    except ValueError as exc:
        raise InvalidIdentifier(f"{keyword}: {value!r} is not a valid range") from exc


def bounds(expr: str, low: str, high: str) -> Condition | None:
    """*expr* between normalized *low* and *high* (either may be open); None if both are."""
    if not low and not high:
        return None
    parts, params = [f"{expr} != ''"], []
    if low:
        parts.append(f"{expr} >= ?")
        params.append(low)
    if high:
        parts.append(f"{expr} <= ?")
        params.append(high)
    return " AND ".join(parts), params


def integer(expr: str, value: str, keyword: str) -> Condition | None:
    """IS single value matching (numeric, so ``01`` matches ``1``)."""
    if _is_universal(value):
        return None
    try:
        return f"{expr} = ?", [int(value)]
    except ValueError as exc:
        raise InvalidIdentifier(f"{keyword}: {value!r} is not an integer") from exc


def sequence(attribute: Attribute, value: Any) -> Condition | None:
    """Sequence matching (C.2.2.2.6): an item matches when all its non-universal keys match."""
    items = list(value or [])
    if len(items) > 1:
        raise InvalidIdentifier(f"{attribute.keyword}: a query sequence holds at most one item")
    if not items:
        return None
    item: Dataset = items[0]
    parts, params = [], []
    for keyword, kind in attribute.items:
        if keyword not in item:
            continue
        expr = f"json_extract(j.value, '$.{keyword}')"
        cond = (
            uid_list(expr, text(item.get(keyword)), keyword)
            if kind == "uid"
            else single_or_wildcard(expr, text(item.get(keyword)))
        )
        if cond:
            parts.append(cond[0])
            params.extend(cond[1])
    if not parts:
        return None
    column = attribute.sql
    return f"EXISTS (SELECT 1 FROM json_each({column}) j WHERE {' AND '.join(parts)})", params


def in_study(attribute: Attribute, value: str) -> Condition | None:
    """ModalitiesInStudy / SOPClassesInStudy: the study has any of the listed values."""
    if _is_universal(value):
        return None
    table, column = (
        ("series", "modality")
        if attribute.keyword == "ModalitiesInStudy"
        else ("instances", "sop_class_uid")
    )
    cond = single_or_wildcard(f"x.{column}", value)
    assert cond is not None
    return f"EXISTS (SELECT 1 FROM {table} x WHERE x.study_pk = st.pk AND {cond[0]})", cond[1]


def condition(attribute: Attribute, value: Any, options: MatchOptions) -> Condition | None:
    """The SQL condition for one matching key, by the attribute's kind."""
    kind = attribute.kind
    if kind == "seq":
        return sequence(attribute, value)
    raw = text(value)
    if kind == "uid":
        return uid_list(attribute.sql, raw, attribute.keyword)
    if kind == "pn":
        return person_name(attribute, raw, options)
    if kind == "da":
        return date_range(attribute.sql, raw, attribute.keyword)
    if kind in ("tm", "dt"):
        return time_range(f"{attribute.sql}_n", raw, attribute.keyword, kind == "dt")
    if kind == "int":
        return integer(attribute.sql, raw, attribute.keyword)
    if kind == "list":
        return in_study(attribute, raw)
    if kind == "count":
        return None  # return keys only; an archive does not match on counts
    return single_or_wildcard(attribute.sql, raw)
