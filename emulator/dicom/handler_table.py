"""An association's table of event handlers, as pynetdicom's ``bind`` would fill it, built
at once; and pynetdicom's debug handlers kept off associations whose log would drop what
they write. (pynetdicom's ``_handlers`` structure: an intervention event's ``(handler,
args)``, a notification event's list of them; pinned by ``tests/unit/test_reactor.py``.)"""

from __future__ import annotations

import logging
from typing import Any

from pynetdicom import _handlers, evt
from pynetdicom.association import Association

_DEBUG_HANDLERS = (
    (evt.EVT_DIMSE_RECV, _handlers.standard_dimse_recv_handler),
    (evt.EVT_DIMSE_SENT, _handlers.standard_dimse_sent_handler),
    (evt.EVT_PDU_RECV, _handlers.standard_pdu_recv_handler),
    (evt.EVT_PDU_SENT, _handlers.standard_pdu_sent_handler),
)


def handlers_with(bound: dict[Any, Any]) -> dict[Any, Any]:
    """An association's handler table (pynetdicom's ``_handlers``, as its ``bind`` fills it:
    an intervention event's ``(handler, args)``, a notification event's list of them) with
    pynetdicom's defaults and the handlers *bound* to the server, built at once rather than
    by ``bind`` (which takes the AE-wide lock) some 20 times an association. pynetdicom's
    debug handlers are left out unless its log shows debug messages (:func:`quiet`)."""
    debug = logging.getLogger("pynetdicom").isEnabledFor(logging.DEBUG)
    table: dict[Any, Any] = {event: (evt.get_default_handler(event), None)
                             for event in evt._INTERVENTION_EVENTS}  # fmt: skip
    for event, handlers in bound.items():
        if isinstance(event, evt.InterventionEvent):
            if handlers:
                table[event] = handlers
            continue
        kept = [h for h in handlers if debug or (event, h[0]) not in _DEBUG_HANDLERS]
        if kept:
            table[event] = kept
    if debug:
        for event, handler in _DEBUG_HANDLERS:
            listed = table.setdefault(event, [])
            if (handler, None) not in listed:
                listed.append((handler, None))
    return table


def quiet(assoc: Association) -> None:
    """Unbind the four handlers pynetdicom binds to every association (and server) to
    describe each PDU and DIMSE message in its debug log, unless its logger shows debug
    messages: each takes the AE's lock, shared by every association, and builds its text
    before the logger drops it. Under 50 busy associations they were most of the server's
    time."""
    if logging.getLogger("pynetdicom").isEnabledFor(logging.DEBUG):
        return
    for event, handler in _DEBUG_HANDLERS:
        assoc.unbind(event, handler)
