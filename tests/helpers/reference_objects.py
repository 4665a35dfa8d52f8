"""The reference for objects the emulator writes with pydicom for speed: the same documents
built by highdicom, which writes content trees and evidence as the standard has them. Specs
hold the emulator's objects equal to these."""

from __future__ import annotations

from pydicom.dataset import Dataset

from storage.objects.context import StudyContext
from storage.objects.kinds import KINDS

TITLES = ("OfInterest", "ForTeaching")  # CID 7010: (113000, DCM), (113004, DCM)


def key_object_selection(ctx: StudyContext) -> Dataset:
    """What ``storage.objects.ko.build`` makes, by highdicom."""
    from highdicom.ko import KeyObjectSelection, KeyObjectSelectionDocument
    from pydicom.sr.codedict import codes

    kind = KINDS["KO"]
    selected = ctx.selected(3)
    title = ctx.rng.choice(TITLES)
    content = KeyObjectSelection(
        document_title=getattr(codes.DCM, title),
        referenced_objects=selected,
        description=f"{len(selected)} key images",
    )
    document = KeyObjectSelectionDocument(
        evidence=selected,
        content=content,
        series_instance_uid=ctx.series_uid,
        series_number=ctx.series_number,
        sop_instance_uid=ctx.instance_uid,
        instance_number=1,
        manufacturer=ctx.manufacturer,
        content_date=ctx.date,
        content_time=ctx.time,
    )
    ds = Dataset()
    ds.update(document)
    ds.SeriesDescription = kind.series_description
    ds.InstanceCreationDate, ds.InstanceCreationTime = ctx.date, ctx.time  # not now: the seed's
    ds.SeriesDate, ds.SeriesTime = ctx.date, ctx.time
    ds.StudyDescription = ctx.study.get("StudyDescription", "")
    for equipment in ds.get("ContributingEquipmentSequence", []):  # highdicom's, dated now
        equipment.ContributionDateTime = ctx.date + ctx.time
    return ds
