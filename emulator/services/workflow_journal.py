"""The journal's account of what the emulator does on its own as a simulated modality: each
step of an acquisition a message record of the calling AE ``ACQUISITION`` on no association
(``association`` 0): ``ACQUIRE`` (the images made, its duration), the MPPS ``N-CREATE`` and
``N-SET``, and, when the study is sent on, ``C-STORE`` (to the remote AE) and ``N-ACTION``
(Storage Commitment asked of it). Found with ``GET /api/journal?kind=message&calling_ae=
ACQUISITION`` like any other message."""

from __future__ import annotations

from typing import Any

from emulator.journal import MessageOutcome, MessageRecord
from emulator.services.context import ServiceContext

CALLING_AE = "ACQUISITION"
MPPS = "1.2.840.10008.3.1.2.3.3"
COMMITMENT = "1.2.840.10008.1.20.1"


def begin(
    ctx: ServiceContext, service: str, sop_class: str = "", sop_instance: str = ""
) -> MessageRecord:
    """A step that takes time: its record, to :func:`end` once done."""
    record = ctx.journal.start_message(None, 0, service, sop_class=sop_class,
                                       sop_instance=sop_instance)  # fmt: skip
    ctx.journal.update(record, calling_ae=CALLING_AE)
    return record


def update(ctx: ServiceContext, record: MessageRecord, **fields: Any) -> None:
    ctx.journal.update(record, **fields)


def end(ctx: ServiceContext, record: MessageRecord, status: int | None = 0,
        outcome: MessageOutcome = "ok", **fields: Any) -> None:  # fmt: skip
    ctx.journal.finish(record, status, outcome, **fields)


def step(
    ctx: ServiceContext,
    service: str,
    sop_class: str = "",
    sop_instance: str = "",
    status: int | None = 0,
    outcome: MessageOutcome = "ok",
    **fields: Any,
) -> None:
    """A step done at once."""
    end(ctx, begin(ctx, service, sop_class, sop_instance), status, outcome, **fields)
