"""Key Object Selection documents (PS3.3 A.35.4, TID 2010): key images of the study, "Of
Interest" or "For Teaching", selecting instances of the study's own series, with the evidence
sequence a viewer resolves them by.

Written with pydicom: highdicom builds the same document (a spec holds this one to
highdicom's, ``tests/helpers/reference_objects.py``) but at ~60 per second, a third of what
on-demand synthesis needs."""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from storage.objects import content as sr
from storage.objects.context import StudyContext, evidence
from storage.objects.kinds import KINDS

TITLES = (  # CID 7010
    ("113000", "DCM", "Of Interest"),
    ("113004", "DCM", "For Teaching"),
)
SOURCE = ("260753009", "SCT", "Source")
DESCRIPTION = ("113012", "DCM", "Key Object Description")


def build(ctx: StudyContext) -> Dataset:
    kind = KINDS["KO"]
    selected = ctx.selected(3)
    title = ctx.rng.choice(TITLES)
    ds = ctx.common(kind.modality, kind.sop_class, kind.series_description)
    ds.ReferencedPerformedProcedureStepSequence = Sequence()
    ds.CurrentRequestedProcedureEvidenceSequence = evidence(selected)
    description = sr.text("CONTAINS", DESCRIPTION, f"{len(selected)} key images")
    images = [sr.image("CONTAINS", SOURCE, image) for image in selected]
    sr.into(ds, sr.container(None, title, [description, *images], tid="2010"))
    return ds
