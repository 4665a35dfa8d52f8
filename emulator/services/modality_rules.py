"""Scenario rules at the ``acquisition`` phase: each step of a simulated acquisition, the
emulator acting as the modality (calling AE ``ACQUISITION``), is an event that a rule may
delay, leave out or change, as rules fault what clients send the emulator.

The steps are the registry's (``scenario/actions.py``): ``N-CREATE`` (the MPPS goes IN
PROGRESS), ``ACQUIRE`` (the images are made), ``N-SET`` (the MPPS ends), then, when the
study is sent on, ``C-STORE`` (once per image) and ``N-ACTION`` (Storage Commitment asked).
The services decide and do the first three; the outbox (``dicom/acquisition_scu.py``) does
what a rule says on its associations to the remote AE. Counters scoped ``association`` or
``request`` count one acquisition's events (the ACQUIRE journal record's id).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from emulator.journal import MessageRecord
from emulator.scenario.engine import Decision, Engine, Event
from emulator.services.context import ServiceContext
from emulator.services.workflow_journal import CALLING_AE  # the simulated modality

log = logging.getLogger("emulator.services.acquisition")

Fired = tuple[Decision, Engine]
# a step's rule on an association to a remote AE: (step, SOP class, attributes) -> what fired
StepRule = Callable[[str, str, Mapping[str, str]], "Fired | None"]


@dataclass(frozen=True, slots=True)
class StepRules:
    """The scenario's decisions for the steps of one acquisition (*acquisition*: the id of
    its ACQUIRE journal record)."""

    ctx: ServiceContext
    acquisition: int

    def decide(
        self,
        step: str,
        record: MessageRecord | None,
        called_ae: str = "",
        sop_class: str = "",
        dataset: Mapping[str, str] | None = None,
    ) -> Fired | None:
        """The rule that fires for *step*, noted on its journal *record*. The called AE is the
        remote AE a C-STORE or N-ACTION goes to, else the emulator itself (the MPPS SCP)."""
        engine = self.ctx.scenario.engine
        if engine is None or not engine.has_phase("acquisition"):
            return None
        event = Event(
            "acquisition",
            service=step,
            calling_ae=CALLING_AE,
            called_ae=called_ae or self.ctx.ae_title,
            association=self.acquisition,
            request=self.acquisition,
            sop_class=sop_class,
            dataset=dataset or {},
        )
        journal = self.ctx.journal
        note = None if record is None else lambda label: journal.update(record, fault=label)
        return self.ctx.scenario.fire(event, note, log)

    def step(
        self,
        step: str,
        record: MessageRecord | None,
        sop_class: str = "",
        dataset: Mapping[str, str] | None = None,
    ) -> Decision | None:
        """:meth:`decide` a step the services do themselves, a delay already waited out
        (a reset or a stop ends it early); what fired, if anything."""
        fired = self.decide(step, record, "", sop_class, dataset)
        if fired is None:
            return None
        decision, engine = fired
        if decision.action == "delay":
            engine.wait(decision.delay_ms / 1000)
        return decision

    def bound(self, record: MessageRecord, called_ae: str) -> StepRule:
        """:meth:`decide` for the steps on an association to *called_ae*, noted on
        *record*."""
        return lambda step, sop_class, dataset: self.decide(
            step, record, called_ae, sop_class, dataset
        )


@dataclass(slots=True)
class Sent:
    """What became of a study's C-STOREs to a remote AE."""

    sent: int = 0  # stored by the remote AE (success or warning)
    failed: list[str] = field(default_factory=list)  # "uid: why" of each one not stored
    omitted: list[str] = field(default_factory=list)  # left out by a rule
    duplicated: int = 0  # extra copies a rule had sent
    ended: str = ""  # why the association ended before the last image, if it did
    ended_by: str = ""  # the rule that ended it (``rule:action``), if one did

    @property
    def complete(self) -> bool:
        """Every image not left out was stored."""
        return not self.failed and not self.ended
