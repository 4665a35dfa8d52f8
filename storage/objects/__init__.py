"""Fabricated objects that are not images: documents, reports and selections that go with the
images of a study (PS3.3 Annex A), one module per kind of object; what they share is in
``context``.

Each kind (``kinds.KINDS``) names the image modalities whose studies get one (an object
series appended after the image series), and a builder that makes the whole instance from a
:class:`~storage.objects.context.StudyContext`: the study's common attributes, its image
series (whose instances a selection or a report references), and the object's own UIDs, date
and random stream, so that the same seed gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable

from pydicom.dataset import Dataset

from storage.objects import ecg, ko, pdf, pr, rdsr, rtdose, rtplan, rtstruct, seg, sr
from storage.objects.context import ImageSeries, StudyContext
from storage.objects.kinds import KINDS, ObjectKind

BUILDERS: dict[str, Callable[[StudyContext], Dataset]] = {
    "DOC": pdf.build,
    "ECG": ecg.build,
    "KO": ko.build,
    "PR": pr.build,
    "RDSR": rdsr.build,
    "RTDOSE": rtdose.build,
    "RTPLAN": rtplan.build,
    "RTSTRUCT": rtstruct.build,
    "SEG": seg.build,
    "SR": sr.build,
}
"""Every kind's builder, by its code (``--modalities``)."""

__all__ = ["BUILDERS", "KINDS", "ImageSeries", "ObjectKind", "StudyContext"]
