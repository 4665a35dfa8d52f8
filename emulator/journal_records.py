"""The journal's records: one per association, DIMSE message and DICOMweb request, and
each one's dict as the admin API and the journal's store show it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, fields
from typing import Any, Literal, NamedTuple, cast

MessageOutcome = Literal["ok", "failure", "cancelled", "error", "fault"]


class _Shown:
    """What every record class has: its dict as the admin API shows it."""

    __slots__ = ()

    def as_dict(self) -> dict[str, Any]:
        return _as_dict(cast("Record", self))


@dataclass(slots=True)
class AssociationRecord(_Shown):
    """One association (or a connection that never became one)."""

    id: int
    peer: str
    started: float
    calling_ae: str = ""
    called_ae: str = ""
    contexts_proposed: int = 0
    contexts_accepted: int = 0
    max_pdu: int | None = None
    implementation_uid: str = ""
    implementation_version: str = ""
    outcome: str = "open"  # accepted → released | aborted | dropped | rejected | closed
    # proposed presentation contexts: id, abstract_syntax, transfer_syntaxes, and once
    # negotiated result (pynetdicom's words: "Accepted", "Abstract Syntax Not Supported"...)
    # and the accepted transfer_syntax; roles: SOP class → proposed SCU/SCP role
    contexts: list[dict[str, Any]] = field(default_factory=list)
    roles: dict[str, dict[str, bool | None]] = field(default_factory=dict)
    # User Identity Negotiation: type, kind, username (or the token's size), whether a
    # passcode was given and a positive response asked for; never a secret
    user_identity: dict[str, Any] | None = None
    ended: float | None = None
    messages: int = 0
    faults: list[str] = field(default_factory=list)  # "rule:action" of each rule that fired


@dataclass(slots=True)
class MessageRecord(_Shown):
    """One DIMSE request and how it was answered."""

    id: int
    association: int
    message_id: int
    service: str
    calling_ae: str
    started: float  # when it arrived, seconds since the epoch (as an association's)
    sop_class: str = ""
    sop_instance: str = ""
    status: int | None = None
    outcome: MessageOutcome = "ok"
    detail: str = ""
    matches: int | None = None
    ms: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)  # "rule:action" of each rule that fired
    clock: float = field(default_factory=time.monotonic)  # for the duration; not shown


@dataclass(slots=True)
class HttpRecord(_Shown):
    """One DICOMweb request and how it was answered."""

    id: int
    method: str
    path: str
    query: str
    accept: str
    service: str  # QIDO-RS, WADO-RS, STOW-RS, WADO-URI
    peer: str
    started: float
    status: int | None = None
    outcome: str = "open"  # ok | failure (4xx) | error (5xx) | aborted
    matches: int | None = None  # results, instances sent, or instances stored
    bytes_in: int = 0
    bytes_out: int = 0
    ms: float | None = None
    detail: str = ""
    faults: list[str] = field(default_factory=list)  # "rule:action" of each rule that fired
    clock: float = field(default_factory=time.monotonic)  # for the duration; not shown


Record = AssociationRecord | MessageRecord | HttpRecord
_KINDS: dict[type, str] = {
    AssociationRecord: "association",
    MessageRecord: "message",
    HttpRecord: "http",
}


def _shown(kind: type[Record]) -> tuple[str, ...]:
    """The fields of a record class that its dict shows (``clock`` is for durations)."""
    return _SHOWN[kind]


def _copied(value: Any) -> Any:
    """*value* with its lists and dicts copied (what ``asdict`` does to a record's fields,
    at a fraction of the cost: no dataclass checks and no deep copy of plain values)."""
    if type(value) is list:
        return [_copied(v) for v in value]
    if type(value) is dict:
        return {k: _copied(v) for k, v in value.items()}
    return value


_SHOWN = {
    kind: tuple(f.name for f in fields(kind) if f.name != "clock")
    for kind in (AssociationRecord, MessageRecord, HttpRecord)
}


def _shown_values(record: Record) -> dict[str, Any]:
    """*record*'s dict as the admin API and the store show it, its lists and dicts still
    the record's own: ``kind``, then each shown field, a message's status as hex text."""
    out: dict[str, Any] = {"kind": _KINDS[type(record)]}
    for name in _shown(type(record)):
        out[name] = getattr(record, name)
    if isinstance(record, MessageRecord):
        out["status"] = None if record.status is None else f"0x{record.status:04X}"
    return out


def _as_dict(record: Record) -> dict[str, Any]:
    return {name: _copied(value) for name, value in _shown_values(record).items()}


# Pattern fields matched as globs (* and ?); the others must be equal.


class EncodedRecord(NamedTuple):
    """A record as the journal's store keeps it: its dict as JSON, with its id, kind and
    start (seconds since the epoch)."""

    id: int
    kind: str
    json: str
    started: float


def encoded(record: Record) -> EncodedRecord:
    """*record* as JSON, encoded from its fields as they are (its dict without the copy:
    a service thread changing a nested value meanwhile makes ``json`` raise RuntimeError,
    "changed size during iteration", and the caller tries again)."""
    out = _shown_values(record)
    return EncodedRecord(record.id, out["kind"], json.dumps(out, default=str), record.started)
