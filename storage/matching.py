"""C-FIND and retrieve identifiers validated (PS3.4 C.4.1.2.1, C.4.2.2.1) and compiled to one
SQL query each, from the matching types of ``storage.conditions``. Everything runs in SQLite on
indexed columns; no dataset is ever loaded to decide a match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

from storage import locations
from storage.attributes import (
    BY_KEYWORD,
    RESPONSE_ONLY,
    TABLE_ALIAS,
    UNIQUE_KEYS,
    Attribute,
    Level,
    Model,
)
from storage.conditions import MatchOptions, condition, uid_list
from storage.errors import InvalidIdentifier, UnreadableIdentifier
from storage.query import Query
from storage.records import text

_LEVEL_TAG = 0x00080052


@dataclass(frozen=True, slots=True)
class RequestedKey:
    """One element of the identifier: a matching key, a return key, or both."""

    tag: BaseTag
    keyword: str
    vr: str
    value: Any
    attribute: Attribute | None
    lower: bool = False  # below the query level: returned empty, never matched


@dataclass(frozen=True, slots=True)
class FindRequest:
    """A validated C-FIND identifier and the SQL that answers it."""

    model: Model
    level: Level
    keys: tuple[RequestedKey, ...]
    query: Query
    charset: str


# -- identifier → query ---------------------------------------------------------------------

_SOURCES = {
    Level.PATIENT: "patients p",
    Level.STUDY: "studies st JOIN patients p ON p.pk = st.patient_pk",
    Level.SERIES: (
        "series se JOIN studies st ON st.pk = se.study_pk JOIN patients p ON p.pk = se.patient_pk"
    ),
    Level.IMAGE: (
        "instances i JOIN series se ON se.pk = i.series_pk"
        " JOIN studies st ON st.pk = i.study_pk JOIN patients p ON p.pk = i.patient_pk"
    ),
}

# Computed return keys (PS3.4 C.6.1.1.x / C.6.2.1.x), correlated to the row's own entity.
_COMPUTED = {
    "NumberOfPatientRelatedStudies": "(SELECT COUNT(*) FROM studies x WHERE x.patient_pk = p.pk)",
    "NumberOfPatientRelatedSeries": "(SELECT COUNT(*) FROM series x WHERE x.patient_pk = p.pk)",
    "NumberOfPatientRelatedInstances": (
        "(SELECT COUNT(*) FROM instances x WHERE x.patient_pk = p.pk)"
    ),
    "NumberOfStudyRelatedSeries": "(SELECT COUNT(*) FROM series x WHERE x.study_pk = st.pk)",
    "NumberOfStudyRelatedInstances": "(SELECT COUNT(*) FROM instances x WHERE x.study_pk = st.pk)",
    "ModalitiesInStudy": (
        "(SELECT group_concat(m, '\\') FROM (SELECT DISTINCT modality AS m FROM series x"
        " WHERE x.study_pk = st.pk AND modality != '' ORDER BY m))"
    ),
    "SOPClassesInStudy": (
        "(SELECT group_concat(c, '\\') FROM (SELECT DISTINCT sop_class_uid AS c FROM instances x"
        " WHERE x.study_pk = st.pk ORDER BY c))"
    ),
    "NumberOfSeriesRelatedInstances": (
        "(SELECT COUNT(*) FROM instances x WHERE x.series_pk = se.pk)"
    ),
}

_PARENT_KEY = {Level.PATIENT: "patient_pk", Level.STUDY: "study_pk", Level.SERIES: "series_pk"}
# The level's first instance (its row key): where return keys the index does not hold are read.
_FIRST_INSTANCE = {
    level: f"(SELECT x.pk FROM instances x WHERE x.{fk} = {TABLE_ALIAS[level]}.pk"
    " ORDER BY x.pk LIMIT 1)"
    for level, fk in _PARENT_KEY.items()
} | {Level.IMAGE: "i.pk"}


def query_level(identifier: Dataset, model: Model) -> Level:
    """The identifier's QueryRetrieveLevel, checked against *model* (PS3.4 C.4.1.2.1)."""
    if _LEVEL_TAG not in identifier:
        raise InvalidIdentifier("QueryRetrieveLevel (0008,0052) is missing", tag=_LEVEL_TAG)
    raw = text(identifier.get("QueryRetrieveLevel")).upper()
    try:
        level = Level[raw]
    except KeyError:
        raise InvalidIdentifier(
            f"QueryRetrieveLevel {raw!r} is not PATIENT, STUDY, SERIES or IMAGE", tag=_LEVEL_TAG
        ) from None
    if level not in model.levels:
        allowed = ", ".join(lv.name for lv in model.levels)
        raise InvalidIdentifier(
            f"QueryRetrieveLevel {raw} is not in the {model.value} model ({allowed})",
            tag=_LEVEL_TAG,
        )
    return level


def requested_keys(identifier: Dataset) -> tuple[RequestedKey, ...]:
    """The identifier's elements as keys (decoding every value once, here)."""
    keys = []
    try:
        for elem in identifier:
            if elem.tag.group in (0x0000, 0x0002):
                continue
            keyword = elem.keyword or ""
            keys.append(
                RequestedKey(elem.tag, keyword, elem.VR, elem.value, BY_KEYWORD.get(keyword))
            )
    except Exception as exc:
        raise UnreadableIdentifier(f"identifier cannot be decoded: {exc}") from exc
    return tuple(keys)


def _check_hierarchy(
    keys: Sequence[RequestedKey],
    model: Model,
    level: Level,
    options: MatchOptions,
    relational: bool = False,
) -> tuple[RequestedKey, ...]:
    """Hierarchical search rules (PS3.4 C.4.1.3.1): unique keys above (not needed by a
    *relational* query, C.4.1.3.2), nothing below.

    Returns the keys with lower-level attributes stripped of their index mapping (so they are
    returned empty), unless the options say to reject them.
    """
    present = {k.keyword: k for k in keys}
    for upper in model.levels:
        if upper >= level or relational:
            break
        keyword = UNIQUE_KEYS[upper]
        key = present.get(keyword)
        value = text(key.value) if key else ""
        if not value or "\\" in value or "*" in value or "?" in value:
            raise InvalidIdentifier(
                f"{level.name} query needs a single {keyword} (unique key of {upper.name})",
                tag=tag_for_keyword(keyword),
            )
    checked = []
    for key in keys:
        if key.attribute is not None and model.level_of(key.attribute) > level:
            if options.reject_lower_level_keys:
                raise InvalidIdentifier(
                    f"{key.keyword} is a {model.level_of(key.attribute).name} key,"
                    f" below the query level {level.name}",
                    tag=int(key.tag),
                )
            key = RequestedKey(key.tag, key.keyword, key.vr, key.value, None, lower=True)
        checked.append(key)
    return tuple(checked)


def parse_find(
    identifier: Dataset,
    model: Model,
    options: MatchOptions = MatchOptions(),
    relational: bool = False,
) -> FindRequest:
    """Validate a C-FIND identifier and compile it to SQL; *relational*: any key of the
    levels above may match, no unique key is needed (PS3.4 C.4.1.3.2; QIDO-RS's searches
    of all series or all instances).

    Raises
    ------
    InvalidIdentifier
        With a message naming the key, if the identifier does not fit *model*.
    """
    level = query_level(identifier, model)
    keys = _check_hierarchy(requested_keys(identifier), model, level, options, relational)
    where, params = ["1"], []
    select = [
        f"{a.sql} AS {a.keyword}"
        for a in BY_KEYWORD.values()
        if a.level <= level and a.kind not in ("count", "list")
    ]
    select.append(f"{TABLE_ALIAS[level]}.charset AS _charset")
    wants_file = False
    for key in keys:
        if key.attribute is None:
            wants_file = wants_file or not (key.lower or key.keyword in RESPONSE_ONLY)
            continue
        if key.attribute.kind in ("count", "list"):
            select.append(f"{_COMPUTED[key.keyword]} AS {key.keyword}")
        cond = condition(key.attribute, key.value, options)
        if cond is not None:
            where.append(cond[0])
            params.extend(cond[1])
    if wants_file:
        select.append(f"{_FIRST_INSTANCE[level]} AS _first")
    query = Query(
        select=", ".join(select),
        source=_SOURCES[level],
        where=tuple(where),
        params=tuple(params),
        key=f"{TABLE_ALIAS[level]}.pk",
    )
    charset = text(identifier.get("SpecificCharacterSet", ""))
    return FindRequest(model, level, keys, query, charset)


# -- retrieve identifiers (C-MOVE, C-GET) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetrieveRequest:
    """A validated retrieve identifier and the query over the instances it names."""

    model: Model
    level: Level
    query: Query


_RETRIEVE_SELECT = (
    "i.sop_instance_uid AS sop_instance_uid, i.sop_class_uid AS sop_class_uid,"
    " se.series_uid AS series_uid,"
    f" i.transfer_syntax_uid AS transfer_syntax_uid, i.size AS size, {locations.select()}"
)


def parse_retrieve(identifier: Dataset, model: Model) -> RetrieveRequest:
    """Validate a C-MOVE/C-GET identifier (PS3.4 C.4.2.2.1) and compile it to SQL.

    Only unique keys count: one value for each level above, one value or a list at the
    retrieve level, never a wildcard. Other keys are ignored, as the standard expects.

    Raises
    ------
    InvalidIdentifier
        Naming the missing or malformed unique key.
    """
    level = query_level(identifier, model)
    keys = {k.keyword: k for k in requested_keys(identifier)}
    _check_hierarchy(list(keys.values()), model, level, MatchOptions())
    where, params = ["1"], []
    for current in model.levels[: model.levels.index(level) + 1]:
        keyword = UNIQUE_KEYS[current]
        key = keys.get(keyword)
        value = text(key.value) if key else ""
        if not value or "*" in value or "?" in value:
            raise InvalidIdentifier(
                f"{level.name} retrieve needs {keyword} (a value, no wildcards)",
                tag=tag_for_keyword(keyword),
            )
        attribute = BY_KEYWORD[keyword]
        if attribute.kind == "uid":
            cond = uid_list(attribute.sql, value, keyword)
        else:  # PatientID: one value or a list, matched exactly
            values = value.split("\\")
            cond = f"{attribute.sql} IN ({', '.join('?' for _ in values)})", values
        assert cond is not None
        where.append(cond[0])
        params.extend(cond[1])
    query = Query(_RETRIEVE_SELECT, _SOURCES[Level.IMAGE], tuple(where), tuple(params), "i.pk")
    return RetrieveRequest(model, level, query)
