"""The registry of scenario actions (emulator/scenario/actions.py) and everything that must
agree with it: adding an action without its schema, its implementation or its phases fails
here, naming what is missing."""

from __future__ import annotations

import json
from pathlib import Path

from emulator.dicom.faults import MODIFIERS, WIRE_ACTIONS
from emulator.dicom.notifications import NEGOTIATION_ACTIONS
from emulator.scenario import actions
from emulator.scenario.actions import ACTIONS, PHASES, performed_by

SCHEMA = json.loads((Path(actions.__file__).with_name("schema.json")).read_text(encoding="utf-8"))


def test_every_action_of_the_schema_is_registered_and_the_reverse():
    assert set(SCHEMA["$defs"]["action"]["properties"]) == set(ACTIONS)


def test_the_schema_knows_the_registry_s_phases():
    assert set(SCHEMA["$defs"]["match"]["properties"]["phase"]["enum"]) == set(PHASES)


def test_every_wire_action_is_implemented_on_the_wire():
    assert set(WIRE_ACTIONS) == performed_by("wire")


def test_every_negotiation_action_is_implemented_in_the_negotiation():
    assert set(NEGOTIATION_ACTIONS) == performed_by("negotiation")


def test_service_actions_are_left_to_their_service_and_name_it():
    assert performed_by("service") == MODIFIERS
    for name in MODIFIERS:
        assert ACTIONS[name].services, f"{name}: which service applies it?"


def test_every_action_acts_somewhere_and_says_what_it_does():
    for action in ACTIONS.values():
        assert action.phases <= set(PHASES), action.name
        assert action.phases, action.name
        assert action.summary, action.name


def test_every_action_of_the_http_phase_is_done_by_dicomweb():
    from emulator.dicomweb.faults import HTTP_ACTIONS

    assert set(HTTP_ACTIONS) == {a.name for a in ACTIONS.values() if "http" in a.phases}
    assert performed_by("http") <= set(HTTP_ACTIONS)
