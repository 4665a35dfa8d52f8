"""The DICOMweb route table, mounted under ``dicomweb.prefix`` on the admin API's server."""

from __future__ import annotations

from aiohttp import web

from emulator.dicomweb import delete, qido, rendered, stow, wado
from emulator.dicomweb.base import Handler
from storage.attributes import Level

_STUDY = "/studies/{study}"
_SERIES = _STUDY + "/series/{series}"
_INSTANCE = _SERIES + "/instances/{instance}"

# (method, path under the prefix, view, summary)
ROUTES: list[tuple[str, str, Handler, str]] = [
    ("GET", "/studies", qido.view(Level.STUDY, False), "QIDO-RS: search for studies"),
    ("GET", "/series", qido.view(Level.SERIES, True), "QIDO-RS: search for series"),
    ("GET", "/instances", qido.view(Level.IMAGE, True), "QIDO-RS: search for instances"),
    (
        "GET",
        _STUDY + "/series",
        qido.view(Level.SERIES, False, "study"),
        "QIDO-RS: a study's series",
    ),
    (
        "GET",
        _STUDY + "/instances",
        qido.view(Level.IMAGE, True, "study"),
        "QIDO-RS: a study's instances",
    ),
    (
        "GET",
        _SERIES + "/instances",
        qido.view(Level.IMAGE, False, "study", "series"),
        "QIDO-RS: a series' instances",
    ),
    ("GET", _STUDY, wado.retrieve, "WADO-RS: a study's instances"),
    ("GET", _SERIES, wado.retrieve, "WADO-RS: a series' instances"),
    ("GET", _INSTANCE, wado.retrieve, "WADO-RS: an instance"),
    ("GET", _STUDY + "/metadata", wado.metadata, "WADO-RS: a study's metadata"),
    ("GET", _SERIES + "/metadata", wado.metadata, "WADO-RS: a series' metadata"),
    ("GET", _INSTANCE + "/metadata", wado.metadata, "WADO-RS: an instance's metadata"),
    ("GET", _INSTANCE + "/bulkdata/{tag}", wado.bulkdata, "WADO-RS: bulk data"),
    ("GET", _INSTANCE + "/frames/{frames}", wado.frames, "WADO-RS: frames"),
    ("GET", _INSTANCE + "/rendered", rendered.rendered, "WADO-RS: an instance rendered"),
    ("GET", _INSTANCE + "/frames/{frames}/rendered", rendered.rendered, "a frame rendered"),
    ("GET", _STUDY + "/thumbnail", rendered.thumbnail, "WADO-RS: a study's thumbnail"),
    ("GET", _SERIES + "/thumbnail", rendered.thumbnail, "WADO-RS: a series' thumbnail"),
    ("GET", _INSTANCE + "/thumbnail", rendered.thumbnail, "WADO-RS: an instance's thumbnail"),
    ("GET", _INSTANCE + "/frames/{frames}/thumbnail", rendered.thumbnail, "a frame's thumbnail"),
    ("GET", "/wado", rendered.wado_uri, "WADO-URI: an instance, or it rendered"),
    ("DELETE", _STUDY, delete.delete, "delete a study"),
    ("DELETE", _SERIES, delete.delete, "delete a series"),
    ("DELETE", _INSTANCE, delete.delete, "delete an instance"),
    ("POST", "/studies", stow.store, "STOW-RS: store instances"),
    ("POST", _STUDY, stow.store, "STOW-RS: store instances of one study"),
]


def add_routes(app: web.Application, prefix: str) -> None:
    """Mount the DICOMweb routes under *prefix* (``/dicom-web``)."""
    base = prefix.rstrip("/")
    for method, path, view, _ in ROUTES:
        app.router.add_route(method, base + path, view)
