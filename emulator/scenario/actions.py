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

PHASES = ("connect", "associate", "request", "response", "suboperation", "release", "http",
          "acquisition")  # fmt: skip
ALL = frozenset(PHASES)
# the phases of an association the emulator accepts; "http": a DICOMweb request;
# "acquisition": a step of a simulated acquisition, the emulator acting as the modality
DIMSE = ALL - {"http", "acquisition"}
# the steps of an acquisition (its "services"), in the order they happen
ACQUISITION_STEPS = ("N-CREATE", "ACQUIRE", "N-SET", "C-STORE", "N-ACTION")

# who carries an action out: the wire (dicom/faults.py), the association negotiation
# (dicom/notifications.py), nobody (pass), the service the request is for, or DICOMweb's
# HTTP layer (dicomweb/faults.py, which also does every action of the http phase), or the
# simulated modality (services/acquisition.py and dicom/acquisition_scu.py)
Performer = Literal["wire", "negotiation", "nothing", "service", "http", "modality"]


@dataclass(frozen=True, slots=True)
class Action:
    name: str
    phases: frozenset[str]
    by: Performer
    services: tuple[str, ...] = ()  # the services it means something for (empty: any)
    summary: str = ""
    steps: tuple[str, ...] = ()  # at the acquisition phase: the steps it acts on (empty: any)


_ENDING = DIMSE - {"connect"}  # an association to end exists from the A-ASSOCIATE-RQ on
_SENT = ("C-STORE", "N-ACTION")  # the acquisition's steps on an association to the remote AE

ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action("delay", ALL, "wire", summary="wait, then go on"),
        Action(
            "hang",
            ALL,
            "wire",
            summary="say nothing until the peer gives up or time is up",
            steps=_SENT,
        ),
        Action(
            "close",
            ALL,
            "wire",
            summary="close the connection, at once or after N bytes",
            steps=_SENT,
        ),
        Action("pass", ALL, "nothing", summary="do nothing (a rule that only counts or moves)"),
        Action(
            "throttle",
            frozenset({"connect", "associate", "request", "http", "acquisition"}),
            "wire",
            summary="send at most N bytes a second from now on",
            steps=("C-STORE",),
        ),
        Action("abort", _ENDING | {"acquisition"}, "wire", summary="A-ABORT", steps=_SENT),
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
            frozenset({"request", "response", "http", "acquisition"}),
            "service",
            ("C-FIND", "MWL", "QIDO-RS", "WADO-RS"),
            summary="send a match (or a multipart part, or an acquisition's image) again",
            steps=("C-STORE",),
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
        Action(
            "omit",
            frozenset({"acquisition"}),
            "modality",
            summary="leave the acquisition's step out (an MPPS, an image, the commitment)",
            steps=("N-CREATE", "N-SET", "C-STORE", "N-ACTION"),
        ),
        Action(
            "discontinue",
            frozenset({"acquisition"}),
            "modality",
            summary="end the acquisition's MPPS DISCONTINUED, with a reason",
            steps=("N-SET",),
        ),
    )
}

PHASE_ACTIONS: dict[str, frozenset[str]] = {
    phase: frozenset(a.name for a in ACTIONS.values() if phase in a.phases) for phase in PHASES
}
ACTION_SERVICES: dict[str, tuple[str, ...]] = {
    a.name: a.services for a in ACTIONS.values() if a.services
}
ACTION_STEPS: dict[str, tuple[str, ...]] = {
    a.name: a.steps or ACQUISITION_STEPS for a in ACTIONS.values() if "acquisition" in a.phases
}
SERVICE_ACTIONS = frozenset(a.name for a in ACTIONS.values() if a.by == "service")


def performed_by(performer: Performer) -> frozenset[str]:
    """The names of the actions *performer* carries out."""
    return frozenset(a.name for a in ACTIONS.values() if a.by == performer)
