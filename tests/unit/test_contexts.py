"""The presentation contexts the emulator accepts: storage contexts are copied from one
template at start; each must be what pynetdicom's ``build_context`` makes."""

from __future__ import annotations

import copy

import pytest
from pynetdicom import AllStoragePresentationContexts
from pynetdicom.presentation import build_context, negotiate_as_acceptor

from emulator.dicom.contexts import (
    RETIRED_STORAGE,
    STORAGE_TRANSFER_SYNTAXES,
    context_index,
    proposed_only,
    supported_contexts,
)


def _seen(cx):
    return (cx.abstract_syntax, list(cx.transfer_syntax), cx.scu_role, cx.scp_role)


def test_every_storage_context_is_what_build_context_makes_of_its_sop_class():
    storage = [str(cx.abstract_syntax) for cx in AllStoragePresentationContexts]
    expected = []
    for sop_class in [*storage, *sorted(RETIRED_STORAGE)]:
        cx = build_context(sop_class, STORAGE_TRANSFER_SYNTAXES)
        cx.scu_role = cx.scp_role = True
        expected.append(_seen(cx))

    supported = [_seen(cx) for cx in supported_contexts()]

    assert supported[-len(expected) :] == expected
    assert len({cx[0] for cx in supported}) == len(supported)  # one context per SOP class


def test_storage_contexts_offer_every_stored_syntax_uncompressed_first():
    by_class = {str(cx.abstract_syntax): cx for cx in supported_contexts()}
    ct = by_class["1.2.840.10008.5.1.4.1.1.2"]
    assert ct.transfer_syntax[:3] == STORAGE_TRANSFER_SYNTAXES[:3]
    assert "1.2.840.10008.1.2.4.50" in ct.transfer_syntax  # JPEG Baseline
    assert "1.2.840.10008.1.2.4.80" in ct.transfer_syntax  # JPEG-LS Lossless


def _proposal(*contexts: tuple[str, list[str]]) -> list:
    proposed = []
    for number, (sop_class, syntaxes) in enumerate(contexts):
        cx = build_context(sop_class, syntaxes)
        cx.context_id = 2 * number + 1
        proposed.append(cx)
    return proposed


def _outcome(result):
    accepted, roles = result
    return (
        [
            (cx.context_id, cx.abstract_syntax, cx.result, cx.transfer_syntax, cx.as_scu, cx.as_scp)
            for cx in accepted
        ],
        [(r.sop_class_uid, r.scu_role, r.scp_role) for r in roles],
    )


_IMPLICIT, _EXPLICIT, _JPEG = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.4.50"
_CT, _MR = "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4"


@pytest.mark.parametrize(
    ("proposal", "roles"),
    [
        (_proposal(("1.2.840.10008.1.1", [_IMPLICIT, _EXPLICIT])), None),  # echoscu
        (_proposal((_CT, [_JPEG]), (_MR, [_EXPLICIT, _IMPLICIT]), (_CT, [_IMPLICIT])), None),
        (_proposal(("1.2.3.4.5", [_IMPLICIT]), (_CT, ["1.2.3.9"])), None),  # none supported
        (_proposal((_CT, [_EXPLICIT]), (_MR, [_EXPLICIT])), {_CT: (False, True)}),  # C-GET
        (_proposal((_CT, [_EXPLICIT]), ("1.2.3.4.5", [_EXPLICIT])), {_MR: (True, True)}),
    ],
)
def test_negotiating_over_the_proposed_classes_only_answers_as_over_all(proposal, roles):
    """pynetdicom's negotiation, given only the supported contexts of the proposed abstract
    syntaxes (contexts.proposed_only), answers as given every supported context."""
    supported = list(supported_contexts())
    narrowed = proposed_only(context_index(supported), proposal)
    assert len(narrowed) < 3
    everything = negotiate_as_acceptor(copy.deepcopy(proposal), supported, roles)
    only = negotiate_as_acceptor(copy.deepcopy(proposal), narrowed, roles)
    assert _outcome(only) == _outcome(everything)
