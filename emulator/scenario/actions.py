"""The registry of scenario actions: each one's name, where it can act, and who carries it out.

Every other table about actions is derived from this one or checked against it by a spec: the
loader's phase and service checks (:data:`PHASE_ACTIONS`, :data:`ACTION_SERVICES`), the
actions a service applies itself (:data:`SERVICE_ACTIONS`), the wire implementations in
``emulator/dicom/faults.py`` and the negotiation ones in ``emulator/dicom/notifications.py``,
and the parameters each action takes in ``schema.json``. Adding an action: declare it here,
describe its parameters in ``schema.json``, and implement it where :attr:`Action.by` says;
``tests/unit/test_scenario_actions.py`` names whatever is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PHASES = ("connect", "associate", "request", "response", "suboperation", "release", "http")
ALL = frozenset(PHASES)
DIMSE = ALL - {"http"}  # the phases of an association; "http": a DICOMweb request

# who carries an action out: the wire (dicom/faults.py), the association negotiation
# (dicom/notifications.py), nobody (pass), the service the request is for, or DICOMweb's
# HTTP layer (dicomweb/faults.py, which also does every action of the http phase)
Performer = Literal["wire", "negotiation", "nothing", "service", "http"]


@dataclass(frozen=True, slots=True)
class Action:
    name: str
    phases: frozenset[str]
    by: Performer
    services: tuple[str, ...] = ()  # the services it means something for (empty: any)
    summary: str = ""


_ENDING = DIMSE - {"connect"}  # an association to end exists from the A-ASSOCIATE-RQ on

ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action("delay", ALL, "wire", summary="wait, then go on"),
        Action("hang", ALL, "wire", summary="say nothing until the peer gives up or time is up"),
        Action("close", ALL, "wire", summary="close the connection, at once or after N bytes"),
        Action("pass", ALL, "nothing", summary="do nothing (a rule that only counts or moves)"),
        Action(
            "throttle",
            frozenset({"connect", "associate", "request", "http"}),
            "wire",
            summary="send at most N bytes a second from now on",
        ),
        Action("abort", _ENDING, "wire", summary="A-ABORT"),
        Action("ap_abort", _ENDING, "wire", summary="A-P-ABORT with a reason"),
        Action(
            "status",
            frozenset({"request", "response", "suboperation"}),
            "wire",
            summary="answer with a DIMSE status",
        ),
        Action("reject", frozenset({"associate"}), "negotiation", summary="A-ASSOCIATE-RJ"),
        Action(
            "max_pdu",
            frozenset({"associate"}),
            "negotiation",
            summary="announce another Maximum Length",
        ),
        Action(
            "reject_contexts",
            frozenset({"associate"}),
            "negotiation",
            summary="reject these SOP classes' contexts",
        ),
        Action(
            "truncate",
            frozenset({"request", "http"}),
            "service",
            ("C-FIND", "MWL", "QIDO-RS"),
            summary="end the matches early",
        ),
        Action(
            "duplicate",
            frozenset({"request", "response", "http"}),
            "service",
            ("C-FIND", "MWL", "QIDO-RS", "WADO-RS"),
            summary="send a match (or a multipart part) twice",
        ),
        Action(
            "fail_suboperations",
            frozenset({"request"}),
            "service",
            ("C-MOVE", "C-GET"),
            summary="fail chosen sub-operations",
        ),
        Action(
            "refuse_destination",
            frozenset({"request"}),
            "service",
            ("C-MOVE",),
            summary="act as if the destination refused the sub-association",
        ),
        Action(
            "silent_loss",
            frozenset({"request"}),
            "service",
            ("C-STORE",),
            summary="answer Success and store nothing",
        ),
        Action(
            "commitment",
            frozenset({"request"}),
            "service",
            ("N-ACTION",),
            summary="delay, withhold or fail a commitment report",
        ),
        Action(
            "http_status",
            frozenset({"http"}),
            "http",
            summary="answer with an HTTP status (a body, Retry-After)",
        ),
        Action(
            "drop_part",
            frozenset({"http"}),
            "http",
            ("WADO-RS",),
            summary="leave one part out of a multipart answer",
        ),
        Action(
            "content_type",
            frozenset({"http"}),
            "http",
            summary="answer with another Content-Type (a wrong type or boundary)",
        ),
    )
}

PHASE_ACTIONS: dict[str, frozenset[str]] = {
    phase: frozenset(a.name for a in ACTIONS.values() if phase in a.phases) for phase in PHASES
}
ACTION_SERVICES: dict[str, tuple[str, ...]] = {
    a.name: a.services for a in ACTIONS.values() if a.services
}
SERVICE_ACTIONS = frozenset(a.name for a in ACTIONS.values() if a.by == "service")


def performed_by(performer: Performer) -> frozenset[str]:
    """The names of the actions *performer* carries out."""
    return frozenset(a.name for a in ACTIONS.values() if a.by == performer)
