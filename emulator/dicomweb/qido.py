"""QIDO-RS (PS3.18 10.6): query parameters translated to a C-FIND identifier, matched by the
same matcher as C-FIND, answered as ``application/dicom+json``.

No match is ``200`` with ``[]`` (PS3.18 allows 200 or 204; an empty array is what a viewer's
JSON parser takes without a special case). Parameters this server does not honour
(``fuzzymatching=true``, a key the index cannot match on) get a ``Warning`` header; a key that
is no DICOM attribute is a ``400``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from aiohttp import web
from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword
from pydicom.dataset import Dataset

from emulator.dicomweb.base import Handler, base_url, context, warning
from emulator.dicomweb.faults import Changes, changes
from emulator.dicomweb.journaling import MATCHES
from emulator.dicomweb.media import DICOM_JSON, wants_json
from emulator.services.query import search
from storage import InvalidIdentifier
from storage.attributes import BY_KEYWORD, Level

# The attributes each level answers by default (PS3.18 Table 10.6.3-3, -4, -5) that the index
# holds; TimezoneOffsetFromUTC, BitsAllocated and the Performed Procedure Step dates are
# answered when includefield names them (they are read from the instance, not the index).
DEFAULTS = {
    Level.STUDY: (
        "StudyDate",
        "StudyTime",
        "AccessionNumber",
        "ModalitiesInStudy",
        "ReferringPhysicianName",
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "PatientSex",
        "StudyInstanceUID",
        "StudyID",
        "StudyDescription",
        "NumberOfStudyRelatedSeries",
        "NumberOfStudyRelatedInstances",
    ),
    Level.SERIES: (
        "Modality",
        "SeriesDescription",
        "SeriesInstanceUID",
        "SeriesNumber",
        "NumberOfSeriesRelatedInstances",
    ),
    Level.IMAGE: (
        "SOPClassUID",
        "SOPInstanceUID",
        "InstanceNumber",
        "Rows",
        "Columns",
        "NumberOfFrames",
    ),
}
_PARAMETERS = ("includefield", "limit", "offset", "fuzzymatching")
_LEVEL_NAMES = {Level.STUDY: "STUDY", Level.SERIES: "SERIES", Level.IMAGE: "IMAGE"}


@dataclass
class Search:
    """A QIDO-RS request, translated."""

    level: Level
    relational: bool
    identifier: Dataset = field(default_factory=Dataset)
    offset: int = 0
    limit: int = 0
    warnings: list[str] = field(default_factory=list)


def _tag(name: str) -> int:
    """The tag of a keyword or of eight hex digits; 400 for anything else."""
    if len(name) == 8 and all(c in "0123456789abcdefABCDEF" for c in name):
        return int(name, 16)
    tag = tag_for_keyword(name)
    if tag is None:
        raise web.HTTPBadRequest(
            text=f"query key {name!r} is neither a DICOM keyword (PatientID) nor a tag"
            f" (00100020), nor one of {', '.join(_PARAMETERS)}"
        )
    return int(tag)


def _vr(tag: int, name: str) -> str:
    try:
        return str(dictionary_VR(tag))
    except KeyError:
        raise web.HTTPBadRequest(
            text=f"query key {name!r} is not in the DICOM dictionary"
        ) from None


def _put(ds: Dataset, path: str, value: str | None) -> None:
    """Add the element at *path* (``Keyword`` or ``Sequence.Keyword``) with *value* (None: a
    return key), creating the sequence's one item."""
    first, _, rest = path.partition(".")
    tag = _tag(first)
    vr = _vr(tag, first)
    if rest:
        if vr != "SQ":
            raise web.HTTPBadRequest(text=f"query key {path!r}: {first} is not a sequence")
        if tag not in ds or not ds[tag].value:
            ds.add_new(tag, "SQ", [Dataset()])
        _put(ds[tag].value[0], rest, value)
        return
    if tag in ds and value is not None and ds[tag].value not in (None, "", []):
        raise web.HTTPBadRequest(text=f"query key {path!r} is given twice; give it once")
    if vr == "SQ":
        ds.add_new(tag, "SQ", [] if value is None else [Dataset()])
        return
    if value is not None and vr == "UI":
        value = value.replace(",", "\\")  # a UID list (PS3.18 8.3.4.1)
    ds.add_new(tag, vr, value)


def _count(request: web.Request, name: str) -> int:
    raw = request.query.get(name, "0")
    if not raw.isdigit():
        raise web.HTTPBadRequest(text=f"{name}={raw!r}: give a whole number, 0 or more")
    return int(raw)


def translate(
    request: web.Request, level: Level, relational: bool, fixed: dict[str, str]
) -> Search:
    """The search a QIDO-RS request asks for; *fixed*: the UIDs of the resource path.

    Raises
    ------
    aiohttp.web.HTTPBadRequest
        For an unknown key, a malformed value of limit or offset, a key given twice.
    """
    found = Search(level, relational)
    ds = found.identifier
    ds.QueryRetrieveLevel = _LEVEL_NAMES[level]
    for keyword, value in fixed.items():
        _put(ds, keyword, value)
    fields: list[str] = []
    for name, value in request.query.items():
        if name == "includefield":
            fields += [f.strip() for f in value.split(",") if f.strip()]
        elif name == "fuzzymatching":
            if value.lower() == "true":
                found.warnings.append("fuzzymatching is not supported: matching is exact")
        elif name not in ("limit", "offset"):
            if name.split(".")[0] in fixed:
                raise web.HTTPBadRequest(text=f"{name} is given by the path; drop the query key")
            _put(ds, name, value)
            keyword = keyword_for_tag(_tag(name.split(".")[0])) or name
            if keyword not in BY_KEYWORD:
                found.warnings.append(f"{name} is not a matching key here: it was not used")
    wanted = _all_keys(level, relational) if "all" in fields else list(_defaults(level, relational))
    wanted += [f for f in fields if f != "all"]
    for path in wanted:
        if _tag(path.split(".")[0]) not in ds:
            _put(ds, path, None)
    found.offset = _count(request, "offset")
    found.limit = _count(request, "limit")
    return found


def _levels(level: Level, relational: bool) -> list[Level]:
    if not relational:
        return [level]
    return [lvl for lvl in (Level.STUDY, Level.SERIES, Level.IMAGE) if lvl <= level]


def _defaults(level: Level, relational: bool) -> list[str]:
    return [k for lvl in _levels(level, relational) for k in DEFAULTS[lvl]]


def _all_keys(level: Level, relational: bool) -> list[str]:
    """``includefield=all``: every attribute the index holds at the levels answered."""
    levels = set(_levels(level, relational))
    if Level.STUDY in levels:
        levels.add(Level.PATIENT)
    return [k for k, a in BY_KEYWORD.items() if a.level in levels]


def _retrieve_url(base: str, ds: Dataset, level: Level) -> str:
    url = f"{base}/studies/{ds.get('StudyInstanceUID', '')}"
    if level >= Level.SERIES and "SeriesInstanceUID" in ds:
        url += f"/series/{ds.SeriesInstanceUID}"
        if level is Level.IMAGE and "SOPInstanceUID" in ds:
            url += f"/instances/{ds.SOPInstanceUID}"
    return url


async def answer(request: web.Request, found: Search) -> web.Response:
    """Run *found* and answer its matches as DICOM JSON."""
    wants_json(request)
    ctx = context(request)
    limit = min(found.limit or ctx.config.dicomweb.max_results, ctx.config.dicomweb.max_results)
    try:
        page = await asyncio.to_thread(
            search, found.identifier, ctx, found.relational, found.offset, limit
        )
    except InvalidIdentifier as exc:
        raise web.HTTPBadRequest(text=f"the query cannot be answered: {exc}") from None
    matches = _changed(page.matches, changes(request))
    request[MATCHES] = len(matches)
    base = base_url(request)
    body = []
    for ds in matches:
        ds.InstanceAvailability = "ONLINE"
        ds.add_new(0x00081190, "UR", _retrieve_url(base, ds, found.level))  # RetrieveURL
        body.append(ds.to_json_dict())
    headers = {}
    notes = list(found.warnings)
    if page.more and changes(request).truncate is None:
        notes.append(
            "there are more results than this answer holds: ask for them with offset"
            f"={found.offset + len(page.matches)}"
        )
    if notes:
        headers["Warning"] = ", ".join(warning(request, note) for note in notes)
    return web.Response(body=json.dumps(body).encode(), content_type=DICOM_JSON, headers=headers)


def _changed(matches: list[Dataset], rule: Changes) -> list[Dataset]:
    """The matches as a scenario rule leaves them: truncated, or one of them repeated."""
    if rule.truncate is not None:
        return matches[: rule.truncate]
    if rule.duplicate is not None and 1 <= rule.duplicate[0] <= len(matches):
        index, times = rule.duplicate
        return [*matches[:index], *[matches[index - 1]] * times, *matches[index:]]
    return matches


def view(level: Level, relational: bool, *path: str) -> Handler:
    """The QIDO-RS view of one resource; *path*: the match_info names that hold UIDs."""
    keywords = {"study": "StudyInstanceUID", "series": "SeriesInstanceUID"}

    async def handle(request: web.Request) -> web.Response:
        fixed = {keywords[name]: request.match_info[name] for name in path}
        return await answer(request, translate(request, level, relational, fixed))

    return handle
