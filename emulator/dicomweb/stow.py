"""STOW-RS (PS3.18 10.5): Part 10 files posted as ``multipart/related; type="application/dicom"``
stored one by one as they arrive, through the same path as C-STORE (the same checks, atomic),
and answered with the Store Instances Response (PS3.18 Table 10.5.3-1).

Status: ``200`` when every instance was stored, ``409`` when none was, ``202`` otherwise.
A FailureReason is the status C-STORE would have answered: ``A900`` for an instance whose
identification is wrong (invalid UIDs, or a Study Instance UID other than the one of
``POST /studies/{study}``), ``C000`` for bytes that are no DICOM data set, ``A700`` when the
disk is full.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import Any

from aiohttp import web
from pydicom.dataset import Dataset

from emulator.admin.uploads import Limits, content_type_parameters, dicom_parts
from emulator.dicomweb.base import base_url, context
from emulator.dicomweb.journaling import MATCHES
from emulator.dicomweb.media import DICOM, DICOM_JSON
from emulator.errors import EXPECTED, status_for
from emulator.services.store import store_instance
from storage import read_header

STOW_LIMITS = Limits(single=False, total_setting="dicomweb.max_request_size")
IN_FLIGHT = 4  # parts stored at once, each held in memory until it is (admin.max_upload_size)


def _check_type(request: web.Request) -> None:
    """415 unless the body is ``multipart/related`` of ``application/dicom`` parts."""
    header = request.headers.get("Content-Type", "")
    kind = request.content_type
    params = content_type_parameters(header)
    part_type = params.get("type", DICOM).lower()
    if kind != "multipart/related" or part_type != DICOM:
        raise web.HTTPUnsupportedMediaType(
            text=f'send multipart/related; type="{DICOM}" (Part 10 files), not'
            f" {header or 'no Content-Type'} (metadata and bulk data STOW is not supported)"
        )


def _identity(data: bytes) -> tuple[str, ...]:
    """SOP class, SOP instance, study and series UIDs of a part, as far as they can be read."""
    try:
        ds = read_header(data)
    except Exception:
        return "", "", "", ""
    keywords = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID")
    return tuple(str(ds.get(keyword, "")) for keyword in keywords)


def _store(ctx: Any, data: bytes, study: str | None, base: str) -> tuple[Dataset, int | None, str]:
    """Store one part: its ReferencedSOPSequence item (with its RetrieveURL) or its
    FailedSOPSequence item, the failure reason (None: stored), and its study."""
    item = Dataset()
    try:
        record = store_instance(data, None, None, None, "DICOMWEB", ctx, study=study).record
    except EXPECTED as exc:
        sop_class, sop_instance, study_uid, _ = _identity(data)  # as far as they can be read
        item.ReferencedSOPClassUID = sop_class
        item.ReferencedSOPInstanceUID = sop_instance
        reason = status_for("C-STORE", exc)
        item.FailureReason = reason
        return item, reason, study_uid
    item.ReferencedSOPClassUID = record.sop_class_uid
    item.ReferencedSOPInstanceUID = record.sop_instance_uid
    item.RetrieveURL = (
        f"{base}/studies/{record.study_instance_uid}/series/{record.series_instance_uid}"
        f"/instances/{record.sop_instance_uid}"
    )
    return item, None, record.study_instance_uid


async def store(request: web.Request) -> web.Response:
    """POST /studies[/{study}]"""
    _check_type(request)
    study = request.match_info.get("study")
    ctx = context(request)
    base = base_url(request)
    stored: list[Dataset] = []
    failed: list[Dataset] = []
    studies: set[str] = set()
    pending: deque[asyncio.Future[tuple[Dataset, int | None, str]]] = deque()
    done: list[tuple[Dataset, int | None, str]] = []
    try:  # the next parts are read while earlier ones are stored (their commits shared)
        async for data in dicom_parts(request, STOW_LIMITS):
            pending.append(asyncio.ensure_future(asyncio.to_thread(_store, ctx, data, study, base)))
            if len(pending) >= IN_FLIGHT:
                done.append(await pending.popleft())
    finally:  # a body that breaks off: the parts before it are stored, whole, all the same
        while pending:
            done.append(await pending.popleft())
    for item, reason, study_uid in done:
        if reason is not None:
            failed.append(item)
            continue
        studies.add(study_uid)
        stored.append(item)
    request[MATCHES] = len(stored)
    answer = Dataset()
    if study is not None or len(studies) == 1:
        answer.RetrieveURL = f"{base}/studies/{study or next(iter(studies))}"
    answer.ReferencedSOPSequence = stored
    if failed:
        answer.FailedSOPSequence = failed
    status = 200 if not failed else 409 if not stored else 202
    return web.Response(
        body=json.dumps(answer.to_json_dict()).encode(),
        status=status,
        content_type=DICOM_JSON,
    )
