"""Logins from the organisation's directory: an LDAP bind as the user (the way Active
Directory and OpenLDAP check a password), the role from the user's groups.

A login is: find the one entry of the typed name (``ldap.user_filter`` under
``ldap.user_base``, searched anonymously, as a service account, or as the user), bind as that
entry with the typed password, then map its groups (``ldap.group_attribute`` of the entry, and
the groups under ``ldap.group_base`` that list it) to the highest role they give. The
directory is asked again at every login, never cached; a session keeps the role it was given
until it ends (``admin.session_ttl``).

ldap3 (pure Python, the usual LDAP client of Python) speaks the protocol: its filters and DNs
are escaped and parsed with its own helpers.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass

from ldap3 import NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException, LDAPInvalidDnError
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn, parse_dn

from emulator.config_http import LdapConfig
from emulator.errors import ConfigError
from emulator.services.accounts import ROLES, DirectoryUnavailable, Identity, NoRole

log = logging.getLogger("emulator.directory")

MAX_NAME = 256


@dataclass(frozen=True, slots=True)
class _Found:
    dn: str
    groups: tuple[str, ...]


class Directory:
    """Password checks against one directory, as ``[ldap]`` configures it. Thread-safe: each
    login opens its own connections."""

    def __init__(self, config: LdapConfig) -> None:
        self.config = config
        self._password = _read_password(config)
        tls = None
        if config.url.startswith("ldaps://") or config.start_tls:
            tls = Tls(
                validate=ssl.CERT_REQUIRED,
                ca_certs_file=str(config.ca_file) if config.ca_file else None,
            )
        self._server = Server(config.url, get_info=NONE, tls=tls, connect_timeout=config.timeout)
        self._roles = {role: [_group_key(g) for g in config.groups(role)] for role in ROLES}

    def verify(self, name: str, password: str) -> Identity | None:
        """The identity of *name* if the directory takes *password* for it, else None.

        Raises
        ------
        DirectoryUnavailable
            When the directory cannot be asked.
        NoRole
            When the password is right but no group of the user maps to a role.
        """
        # An empty password would be an "unauthenticated bind", which LDAP servers accept for
        # any DN: it must never count as a login.
        if not password or not name or len(name) > MAX_NAME or "\x00" in name + password:
            return None
        try:
            found = self._find(name, password)
            if found is None or not self._bind(found.dn, password):
                return None
            groups = found.groups + self._member_of(found.dn, name, password)
        except LDAPException as exc:
            raise DirectoryUnavailable(
                f"cannot ask the directory {self.config.url}: {exc} (local users and bearer"
                " tokens still work)"
            ) from exc
        role = self._role(groups)
        if role is None:
            log.warning("directory user %s has no group that maps to a role", name)
            raise NoRole(
                f"{name} has no role here: ask an admin to add the account to a group of"
                " ldap.admin_groups, ldap.test_write_groups or ldap.viewer_groups"
            )
        return Identity(name, role, source="ldap")

    def _connection(self, who: str | None, password: str | None) -> Connection:
        """A connection bound as *who* (anonymous for None); LDAPException when refused."""
        conn = Connection(
            self._server,
            user=who,
            password=password,
            receive_timeout=self.config.timeout,
            raise_exceptions=False,
            read_only=True,
        )
        conn.open()
        if self.config.start_tls and not conn.start_tls():
            conn.unbind()
            raise DirectoryUnavailable(f"the directory {self.config.url} refused StartTLS")
        return conn

    def _searcher(self, name: str, password: str) -> Connection:
        """A connection to search with, bound as ldap.bind_dn says."""
        bind_dn = self.config.bind_dn
        if "{name}" in bind_dn:  # search as the user: a wrong password finds nothing
            conn = self._connection(bind_dn.replace("{name}", escape_rdn(name)), password)
        else:
            conn = self._connection(bind_dn or None, self._password if bind_dn else None)
        if not conn.bind():
            conn.unbind()
            if "{name}" in bind_dn:
                raise _WrongPassword
            raise DirectoryUnavailable(
                f"the directory refused ldap.bind_dn {bind_dn or '(anonymous)'}:"
                f" {conn.result.get('description')} (check it and ldap.bind_password_file)"
            )
        return conn

    def _find(self, name: str, password: str) -> _Found | None:
        try:
            conn = self._searcher(name, password)
        except _WrongPassword:
            return None
        attribute = self.config.group_attribute
        try:
            conn.search(
                self.config.user_base,
                self.config.user_filter.replace("{name}", escape_filter_chars(name)),
                SUBTREE,
                attributes=[attribute] if attribute else [],
                size_limit=2,
            )
            entries = [e for e in conn.response or [] if e.get("type") == "searchResEntry"]
        finally:
            conn.unbind()
        if len(entries) != 1:
            if len(entries) > 1:
                log.warning("ldap.user_filter finds more than one entry for %s: refused", name)
            return None
        values = entries[0].get("attributes", {}).get(attribute, []) if attribute else []
        if isinstance(values, str):
            values = [values]
        return _Found(entries[0]["dn"], tuple(str(v) for v in values))

    def _bind(self, dn: str, password: str) -> bool:
        conn = self._connection(dn, password)
        try:
            return bool(conn.bind())
        finally:
            conn.unbind()

    def _member_of(self, dn: str, name: str, password: str) -> tuple[str, ...]:
        """The DNs of the groups under ldap.group_base that list *dn* as a member."""
        if not self.config.group_base:
            return ()
        conn = self._searcher(name, password)
        try:
            query = self.config.group_filter.replace("{dn}", escape_filter_chars(dn))
            conn.search(
                self.config.group_base,
                query.replace("{name}", escape_filter_chars(name)),
                SUBTREE,
                attributes=[],
            )
            return tuple(e["dn"] for e in conn.response or [] if e.get("type") == "searchResEntry")
        finally:
            conn.unbind()

    def _role(self, groups: tuple[str, ...]) -> str | None:
        keys = [_group_key(g) for g in groups]
        names = [_first_value(g) for g in groups]
        for role in reversed(ROLES):  # the highest role any group gives
            for wanted in self._roles[role]:
                if wanted in keys or ("=" not in wanted and wanted in names):
                    return role
        return None


class _WrongPassword(Exception):
    """A bind as the user, for searching, was refused."""


def _read_password(config: LdapConfig) -> str | None:
    if config.bind_password_file is None:
        return None
    try:
        lines = config.bind_password_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"ldap.bind_password_file: cannot read {config.bind_password_file}: {exc}"
        ) from exc
    return lines[0] if lines else ""


def _group_key(group: str) -> str:
    """A DN compared as LDAP compares it (case and spacing aside); a plain name lower-cased."""
    if "=" not in group:
        return group.strip().lower()
    try:
        return ",".join(f"{a.strip().lower()}={v.strip().lower()}" for a, v, _ in parse_dn(group))
    except LDAPInvalidDnError:
        return group.strip().lower()


def _first_value(dn: str) -> str:
    """The value of a DN's first RDN (CN=PACS Admins,OU=... gives 'pacs admins')."""
    try:
        return str(parse_dn(dn)[0][1]).strip().lower()
    except (LDAPInvalidDnError, IndexError):
        return dn.strip().lower()
