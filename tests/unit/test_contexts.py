"""The presentation contexts the emulator accepts: storage contexts are copied from one
template at start; each must be what pynetdicom's ``build_context`` makes."""

from __future__ import annotations

from pynetdicom import AllStoragePresentationContexts
from pynetdicom.presentation import build_context

from emulator.dicom.contexts import RETIRED_STORAGE, STORAGE_TRANSFER_SYNTAXES, supported_contexts


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
