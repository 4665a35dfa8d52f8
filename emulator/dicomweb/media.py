"""Media types of DICOMweb requests and answers (PS3.18 8.7): ``Accept`` parsed, and the
representation a retrieve answers chosen from it."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from pydicom.uid import ExplicitVRLittleEndian

DICOM = "application/dicom"
DICOM_JSON = "application/dicom+json"
OCTET_STREAM = "application/octet-stream"
MULTIPART = "multipart/related"


@dataclass(frozen=True, slots=True)
class MediaRange:
    """One acceptable media range of an ``Accept`` header, with its parameters."""

    type: str  # "multipart/related", "application/dicom+json", "*/*"
    params: dict[str, str]
    q: float = 1.0

    @property
    def part_type(self) -> str:
        """The ``type`` parameter of a multipart range (the parts' media type)."""
        return self.params.get("type", "").lower()

    def matches(self, media_type: str) -> bool:
        """Whether this range accepts *media_type* (wildcards included)."""
        if self.type in ("*/*", media_type):
            return True
        major = media_type.split("/", 1)[0]
        return self.type == f"{major}/*"


def _split(value: str, separator: str) -> list[str]:
    """*value* split at *separator* outside double quotes."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in value:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_accept(header: str | None) -> list[MediaRange]:
    """The ranges of an ``Accept`` header, most preferred first (``*/*`` when absent).

    Raises
    ------
    aiohttp.web.HTTPBadRequest
        For a range that is not ``type/subtype`` or a ``q`` that is not a number.
    """
    if not header or not header.strip():
        return [MediaRange("*/*", {})]
    ranges = []
    for entry in _split(header, ","):
        kind, *raw = _split(entry, ";")
        if "/" not in kind:
            raise web.HTTPBadRequest(text=f"Accept: {kind!r} is not a media type (type/subtype)")
        params = {}
        for item in raw:
            name, _, value = item.partition("=")
            params[name.strip().lower()] = value.strip().strip('"')
        try:
            q = float(params.pop("q", "1"))
        except ValueError:
            raise web.HTTPBadRequest(
                text=f"Accept: {entry!r} has a q that is not a number"
            ) from None
        ranges.append(MediaRange(kind.strip().lower(), params, q))
    return sorted((r for r in ranges if r.q > 0), key=lambda r: -r.q)


def wants_json(request: web.Request) -> bool:
    """Whether the request accepts ``application/dicom+json`` (or plain JSON) answers;
    406 otherwise (QIDO-RS and metadata answer only JSON here)."""
    for accepted in parse_accept(request.headers.get("Accept")):
        if accepted.matches(DICOM_JSON) or accepted.matches("application/json"):
            return True
    raise web.HTTPNotAcceptable(
        text=f"this resource is {DICOM_JSON}; Accept {request.headers.get('Accept')!r} has none"
        " of it (XML answers are not supported)"
    )


def dicom_representation(request: web.Request) -> str:
    """The transfer syntax a study, series or instance retrieve asks for (PS3.18
    8.7.3.5.2; ``*``: each instance as stored): that of the first acceptable
    ``multipart/related; type="application/dicom"`` range, and without a ``transfer-syntax``
    parameter Explicit VR Little Endian, the default (Table 8.7.3-2).

    Raises
    ------
    aiohttp.web.HTTPNotAcceptable
        When no range accepts ``multipart/related`` of ``application/dicom``.
    """
    for accepted in parse_accept(request.headers.get("Accept")):
        if accepted.type in ("*/*", "multipart/*", MULTIPART) and accepted.part_type in (
            "",
            DICOM,
        ):
            return accepted.params.get("transfer-syntax", str(ExplicitVRLittleEndian))
    raise web.HTTPNotAcceptable(
        text=f'this resource is {MULTIPART}; type="{DICOM}"; Accept'
        f" {request.headers.get('Accept')!r} has none of it"
    )


# The media type of a compressed frame by its transfer syntax (PS3.18 Table 8.7.3-2).
_FRAME_TYPES = {
    "1.2.840.10008.1.2.5": "image/dicom-rle",
    "1.2.840.10008.1.2.4.50": "image/jpeg",
    "1.2.840.10008.1.2.4.51": "image/jpeg",
    "1.2.840.10008.1.2.4.57": "image/jpeg",
    "1.2.840.10008.1.2.4.70": "image/jpeg",
    "1.2.840.10008.1.2.4.80": "image/jls",
    "1.2.840.10008.1.2.4.81": "image/jls",
    "1.2.840.10008.1.2.4.90": "image/jp2",
    "1.2.840.10008.1.2.4.91": "image/jp2",
    "1.2.840.10008.1.2.4.92": "image/jpx",
    "1.2.840.10008.1.2.4.93": "image/jpx",
}


def frame_media_type(transfer_syntax: str) -> str:
    """The media type of a frame encoded in *transfer_syntax* (octet stream if none)."""
    return _FRAME_TYPES.get(transfer_syntax, OCTET_STREAM)
