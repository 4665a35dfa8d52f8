"""User Identity Negotiation (PS3.7 D.3.3.7): who an association's requestor says it is.

The emulator accepts every identity (it is the archive products are tested against, not a
gatekeeper; a scenario's ``associate`` rules reject associations) and journals it: the type,
the username, and of a passcode, Kerberos ticket, SAML assertion or JSON Web Token only its
size, never its content.

A requestor may ask for a positive response. For a username (type 1) or a username and
passcode (type 2), PS3.7 Table D.3-15 has the acceptor answer with a User Identity sub-item
whose server response is empty; pynetdicom answers only types 3 to 5, with what an
``EVT_USER_ID`` handler returns, so without this DCMTK's tools with ``--pos-response`` drop
the association as soon as it is accepted. Types 3 to 5 are accepted without an answer: their
server response would be the server's own Kerberos ticket, SAML response or token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynetdicom.pdu_primitives import UserIdentityNegotiation

if TYPE_CHECKING:  # the association's handlers import this module, and faults.py too
    from pynetdicom.events import Event

    from emulator.dicom.notifications import AssociationTracker
    from emulator.services.context import ServiceContext

KINDS = {
    1: "username",
    2: "username and passcode",
    3: "Kerberos service ticket",
    4: "SAML assertion",
    5: "JSON Web Token",
}
_NAMED = (1, 2)  # the types whose primary field is a username (UTF-8)


def username(assoc: Any) -> str:
    """The username *assoc*'s requestor sent (User Identity types 1 and 2), else ""."""
    request = assoc.requestor.user_identity
    if request is None or request.user_identity_type not in _NAMED:
        return ""
    return bytes(request.primary_field or b"").decode("utf-8", errors="replace")


def described(kind: int, primary: bytes, secondary: bytes | None, positive: bool) -> dict[str, Any]:
    """What the journal keeps of a User Identity request: never a secret."""
    shown: dict[str, Any] = {"type": kind, "kind": KINDS.get(kind, "unknown")}
    if kind in _NAMED:
        shown["username"] = primary.decode("utf-8", errors="replace")
        shown["passcode"] = secondary is not None and len(secondary) > 0
    else:
        shown["bytes"] = len(primary)
    shown["positive_response_requested"] = positive
    return shown


def identity_of(assoc: Any) -> dict[str, Any] | None:
    """What the journal keeps of *assoc*'s User Identity request (:func:`described`), or
    None without one: taken when the A-ASSOCIATE-RQ is read, so a rejected association
    shows who was turned away."""
    request = assoc.requestor.user_identity
    if request is None:
        return None
    return described(
        int(request.user_identity_type or 0),
        bytes(request.primary_field or b""),
        request.secondary_field,
        bool(request.positive_response_requested),
    )


def handle_user_identity(
    event: Event, ctx: ServiceContext, tracker: AssociationTracker
) -> tuple[bool, bytes | None]:
    """EVT_USER_ID: accept the identity (journalled with the A-ASSOCIATE-RQ), and answer a
    positive response request for a username with an empty server response (see the
    module's docstring)."""
    assoc = event.assoc
    request = assoc.requestor.user_identity
    if (
        request is not None
        and request.positive_response_requested
        and request.user_identity_type in _NAMED
    ):
        response = UserIdentityNegotiation()
        response.server_response = b""
        assoc.acceptor.add_negotiation_item(response)
    return True, None
