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
    ds.ValueType = "CONTAINER"
    ds.ConceptNameCodeSequence = Sequence([sr.code_item(*title)])
    ds.ContinuityOfContent = "CONTINUOUS"
    ds.CurrentRequestedProcedureEvidenceSequence = evidence(selected)
    template = Dataset()
    template.MappingResource, template.TemplateIdentifier = "DCMR", "2010"
    ds.ContentTemplateSequence = Sequence([template])
    description = Dataset()
    description.RelationshipType, description.ValueType = "CONTAINS", "TEXT"
    description.ConceptNameCodeSequence = Sequence([sr.code_item(*DESCRIPTION)])
    description.TextValue = f"{len(selected)} key images"
    items = [description]
    items += [sr.image("CONTAINS", SOURCE, image) for image in selected]
    ds.ContentSequence = Sequence(items)
    return ds
