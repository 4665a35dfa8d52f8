"""The archive: its data and what can be done to it from outside DICOM.

Import a Part 10 file, fabricate studies, browse and delete studies, read one instance,
add worklist items, and clear the data parts of a reset. The :class:`~emulator.app.Emulator`
wires an Archive to its stores and runs the servers (``emulator.archive``); the admin API and
in-process code and specs reach the data through the Archive, never through the stores.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydicom.dataset import Dataset

from emulator.services import worklist as worklist_service
from emulator.services.acquisition import Acquisition, acquire
from emulator.services.context import ServiceContext
from emulator.services.fabrication import Fabricated, Job, Progress, fabricate_with
from emulator.services.store import StoreOutcome, store_instance
from storage import InstanceSource, browse
from storage.commitments import Commitments
from storage.fabrication_spec import FabricationSpec, study_uids
from storage.procedure_steps import ProcedureSteps
from storage.worklist import Worklist


class Archive:
    """The data of one running emulator (its :class:`ServiceContext`'s stores)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # -- instances ---------------------------------------------------------------------------

    def import_instance(self, part10: bytes, source: str = "") -> StoreOutcome:
        """Store a Part 10 file's bytes as if received by C-STORE (same validation, atomic)."""
        return store_instance(part10, None, None, None, source, self.ctx)

    def has_instance(self, sop_instance_uid: str) -> bool:
        return self.ctx.index.instance(sop_instance_uid) is not None

    def instance_header(self, sop_instance_uid: str) -> Dataset | None:
        """An instance's header (pixel data left out), or None if there is no such instance."""
        stored = self.ctx.index.instance(sop_instance_uid)
        return None if stored is None else self.ctx.instances.header(stored.location)

    def instance_part10(self, sop_instance_uid: str) -> bytes | None:
        """An instance as a Part 10 file (a fabricated one synthesized), or None."""
        stored = self.ctx.index.instance(sop_instance_uid)
        return None if stored is None else self.ctx.instances.part10(stored.location)

    @property
    def instances(self) -> InstanceSource:
        """Reads or synthesizes any indexed instance."""
        return self.ctx.instances

    # -- studies -----------------------------------------------------------------------------

    def fabricate(
        self,
        spec: FabricationSpec,
        materialize: bool = False,
        worklist: int = 0,
        stations: tuple[str, ...] = (),
        replace: bool = False,
    ) -> Fabricated:
        """Add fabricated studies (and worklist items for their patients); FabricationConflict
        if the archive holds some of them already, unless *replace*."""
        return fabricate_with(self.ctx, Job(spec, materialize, worklist, stations, replace))

    def fabricate_report(self, job: Job, progress: Progress | None = None) -> dict[str, Any]:
        """Fabricate *job*, answering what was created (for POST /api/fabricate); *progress*
        is told of each instance (or batch) made."""
        done = fabricate_with(self.ctx, job, progress)
        return {
            "instances": done.instances,
            "recipe": done.recipe,
            "seed": job.spec.seed,
            "study_uids": sorted(study_uids(job.spec)),
            "worklist_items": job.worklist,
        }

    def studies(
        self, filters: Mapping[str, str], limit: int = 100, after: int = 0
    ) -> list[dict[str, Any]]:
        """A page of studies (see ``storage.browse``); ValueError for a bad filter."""
        return browse.studies(self.ctx.index, filters, limit, after)

    def study(self, study_uid: str) -> dict[str, Any] | None:
        """One study with its series and instances, or None."""
        return browse.study(self.ctx.index, study_uid)

    def delete_study(self, study_uid: str) -> bool:
        """Remove a study (received and fabricated instances, their files, parents left
        empty); False if there was none."""
        return self.delete(study_uid) > 0

    def delete(self, study: str, series: str | None = None, instance: str | None = None) -> int:
        """Remove a study, or one series of it, or one instance of that series (received and
        fabricated, their files, parents left empty); how many instances went."""
        removed, files = self.ctx.index.remove(
            study_uid=study, series_uid=series, sop_instance_uid=instance
        )
        for location in files:
            self.ctx.files.remove(location)
        return removed

    # -- workflow ----------------------------------------------------------------------------

    def acquire(self, worklist_id: int, send_to: str = "", commit: bool = False) -> Acquisition:
        """Turn worklist item *worklist_id* into the study it schedules, sent to remote AE
        *send_to* if given (``services.acquisition``)."""
        return acquire(self.ctx, worklist_id, send_to, commit)

    @property
    def worklist(self) -> Worklist:
        """The Modality Worklist items."""
        return self.ctx.worklist

    @property
    def procedure_steps(self) -> ProcedureSteps:
        """The Modality Performed Procedure Steps received."""
        return self.ctx.procedure_steps

    @property
    def commitments(self) -> Commitments:
        """The Storage Commitment requests and their reports."""
        return self.ctx.commitments

    def add_worklist_items(self, body: object, source: str = "api") -> list[int]:
        """Add worklist items given as DICOM JSON (see ``services.worklist.add_items``)."""
        return worklist_service.add_items(self.ctx, body, source)

    # -- reset -------------------------------------------------------------------------------

    def clear(self, kept: set[str], cleared: dict[str, int]) -> int:
        """The data parts of a reset (``services.context.DATA_PARTS`` not in *kept*), noting
        in *cleared* how many rows each lost; how many instances were removed."""
        removed, files = self.ctx.index.remove("received" not in kept, "fabricated" not in kept)
        for part in ("received", "fabricated"):
            if part not in kept:
                cleared[part] = removed  # the instances both parts removed together
        for location in files:
            self.ctx.files.remove(location)
        stores: dict[str, Worklist | ProcedureSteps | Commitments] = {
            "worklist": self.ctx.worklist,
            "mpps": self.ctx.procedure_steps,
            "commitments": self.ctx.commitments,
        }
        for part, store in stores.items():
            if part not in kept:
                cleared[part] = store.clear()
        return removed
