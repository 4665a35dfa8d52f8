"""ServiceContext: the stores, settings and journal every service works with, passed explicitly
(no globals). It knows nothing of the wire: the DICOM adapter (``emulator/dicom``) adds the
scenario's fault plumbing itself (``emulator.dicom.faults.Faults``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from emulator.config import Config
from emulator.interrupts import Interrupts
from emulator.journal import RequestJournal
from emulator.remotes import RemoteAE, RemoteAERegistry
from emulator.scenario.active import ActiveScenario
from storage.commitments import Commitments
from storage.matching import MatchOptions
from storage.procedure_steps import ProcedureSteps
from storage.worklist import Worklist

if TYPE_CHECKING:
    from emulator.services.modality_rules import Sent, StepRule
    from storage import FileStore, Index, InstanceSource


# The parts of the archive's data a reset clears unless kept (``services.archive``).
DATA_PARTS = ("received", "fabricated", "worklist", "mpps", "commitments")


class Outbox(Protocol):
    """How an acquisition's study reaches a remote AE (``emulator.dicom.acquisition_scu``),
    the scenario's ``acquisition`` rules done on the wire (*rule*)."""

    def store(self, ctx: ServiceContext, remote: RemoteAE, instances: list[tuple[str, str]],
              rule: StepRule) -> Sent:  # fmt: skip
        """C-STORE the (SOP Class UID, SOP Instance UID) pairs *instances*."""

    def commit(self, ctx: ServiceContext, remote: RemoteAE, instances: list[tuple[str, str]],
               rule: StepRule) -> str:  # fmt: skip
        """Ask *remote* to commit *instances* (N-ACTION); what happened, in words."""


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """The one extra argument every service (and every DIMSE handler) receives."""

    config: Config
    index: Index
    files: FileStore
    instances: InstanceSource
    journal: RequestJournal
    remotes: RemoteAERegistry
    interrupts: Interrupts = field(default_factory=Interrupts)  # a stop or a reset ends waits
    scenario: ActiveScenario = field(default_factory=ActiveScenario)
    outbox: Outbox | None = None  # None where no DICOM side runs (the fabricate command)

    @property
    def worklist(self) -> Worklist:
        """The worklist rows of the index."""
        return Worklist(self.index.database)

    @property
    def procedure_steps(self) -> ProcedureSteps:
        """The Modality Performed Procedure Steps of the index."""
        return ProcedureSteps(self.index.database)

    @property
    def commitments(self) -> Commitments:
        """The Storage Commitment requests and reports of the index."""
        return Commitments(self.index.database)

    @property
    def ae_title(self) -> str:
        return self.config.dicom.ae_title

    @property
    def match_options(self) -> MatchOptions:
        q = self.config.query
        return MatchOptions(q.pn_case_insensitive, q.reject_lower_level_keys)
