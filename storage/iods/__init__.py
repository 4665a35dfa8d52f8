"""Modality-specific IOD modules for fabricated instances (PS3.3 Annex A), one module per
family: ``volumes`` (CT, MR), ``projections`` (CR, DX, MG), ``cine`` (US, XA), ``nuclear``
(NM, PT), ``capture`` (SC); what they share is in ``common``.

Each :class:`Iod` fills, for one modality, the modules its IOD requires beyond those every
image shares (Patient, General Study, General Series, General Equipment, General Image, Image
Pixel, SOP Common: see ``storage.fabricate``), in three steps:

- ``series``: attributes that every instance of a series shares (computed once per series);
- ``instance``: attributes that vary per instance (slice position, image index);
- ``pixels``: the pixel data and the attributes that describe its frames.

Index records need only the first two, so fabricating into the index never draws pixels.
"""

from __future__ import annotations

from storage.iods import capture, cine, enhanced, nuclear, projections, volumes
from storage.iods.common import Iod, Series

IODS: dict[str, Iod] = {
    **volumes.IODS,
    **enhanced.IODS,
    **projections.IODS,
    **cine.IODS,
    **nuclear.IODS,
    **capture.IODS,
}
"""Every fabricated modality, by its code (``--modalities``)."""

__all__ = ["IODS", "Iod", "Series"]
