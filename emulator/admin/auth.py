"""Who may call the admin API: bearer tokens with roles, and no changes from other sites.

Tokens come from a file (``--admin-tokens``), one ``ROLE TOKEN`` per line; ``#`` starts a
comment. Roles, each allowing what the one before does:

- ``viewer``: read only (every GET);
- ``test_write``: reset, fabricate, scenarios, worklist, journal, uploads, HL7;
- ``admin``: everything, including remote AEs and shutdown.

Tokens are compared in constant time and never logged or echoed in an error.
"""

from __future__ import annotations

import hmac
import ipaddress
from pathlib import Path

from emulator.errors import ConfigError

ROLES = ("viewer", "test_write", "admin")
MIN_TOKEN_LENGTH = 16


def load_tokens(path: Path) -> dict[str, str]:
    """Token → role from *path*.

    Raises
    ------
    ConfigError
        Naming the file and line of every problem (never the token itself).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the admin tokens: {exc}") from exc
    tokens: dict[str, str] = {}
    problems = []
    for n, line in enumerate(lines, 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) != 2 or words[0] not in ROLES:
            problems.append(
                f"{path}:{n}: expected 'ROLE TOKEN' with ROLE one of {', '.join(ROLES)}"
            )
        elif len(words[1]) < MIN_TOKEN_LENGTH:
            problems.append(f"{path}:{n}: a token needs at least {MIN_TOKEN_LENGTH} characters")
        elif words[1] in tokens:
            problems.append(f"{path}:{n}: this token is already on an earlier line")
        else:
            tokens[words[1]] = words[0]
    if not tokens and not problems:
        problems.append(f"{path}: no tokens (one 'ROLE TOKEN' per line)")
    if problems:
        raise ConfigError("invalid admin tokens", problems)
    return tokens


def admin_tokens(host: str, tokens_file: Path | None, logins: bool = False) -> dict[str, str]:
    """The tokens an admin API bound to *host* takes (empty: none needed, on loopback, or
    when *logins* are possible: local users or a directory, so that a login is required).

    Raises
    ------
    ConfigError
        For a tokens file with problems, or an API off loopback that anyone could use.
        ``check`` and ``serve`` call this alike, so ``check`` passes only what ``serve``
        starts with.
    """
    tokens = load_tokens(tokens_file) if tokens_file is not None else {}
    if not tokens and not logins and not is_loopback(host):
        raise ConfigError(
            f"the admin API on {host} would be open to the network: add a user"
            " (dicom-fabricator users add NAME --role admin), configure a directory ([ldap]),"
            " give bearer tokens with --admin-tokens FILE (one 'ROLE TOKEN' per line), or"
            " bind it to 127.0.0.1 (--admin-host)"
        )
    return tokens


def role_of(tokens: dict[str, str], presented: str) -> str | None:
    """The role of the *presented* token, comparing with every known one in constant time."""
    found = None
    for token, role in tokens.items():
        if hmac.compare_digest(token.encode(), presented.encode()):
            found = role
    return found


def allows(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)


def host_allowed(header: str, bound: str, extra: list[str]) -> bool:
    """Whether a request whose ``Host`` header is *header* is meant for this admin API, bound
    to *bound*, given the extra names *extra* (``admin.allowed_hosts``; ``*`` allows any).

    The guard against DNS rebinding: a page of another site whose name is made to resolve to
    this machine sends its own name in ``Host``. So a name is taken only when it is
    ``localhost``, the name the API is bound to, or listed; an IP address is always taken,
    since no site can rebind an address.
    """
    if "*" in extra:
        return True
    name = header.strip().lower()
    if name.startswith("["):  # [::1]:8180
        name = name[1 : name.find("]")] if "]" in name else name
    elif name.count(":") == 1:  # host:port (an IPv6 address has more colons)
        name = name.split(":", 1)[0]
    name = name.rstrip(".")
    if not name:
        return True  # HTTP/1.0 without Host: no name to rebind
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    return name == "localhost" or name == bound.lower() or name in extra


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
