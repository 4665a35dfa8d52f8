"""Local user accounts: names, roles and passwords hashed with argon2id (memory-hard), for the
web console and the API's sessions. A password is never stored, logged or echoed; checking
one costs the same whether the user exists or not.

Roles are the admin API's (``viewer`` reads, ``test_write`` changes test data, ``admin``
manages users, remote AEs and shutdown).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from emulator.errors import EmulatorError
from storage.database import ArchiveDatabase
from storage.users import User, Users

log = logging.getLogger("emulator.accounts")

ROLES = ("viewer", "test_write", "admin")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD, MAX_PASSWORD = 8, 1024


class AccountError(EmulatorError):
    """An account that cannot be added or changed as asked, saying why."""


class DirectoryUnavailable(EmulatorError):
    """The directory could not be asked (down, unreachable, TLS refused, service account
    refused): a login cannot be decided, which is not a wrong password."""


class NoRole(EmulatorError):
    """The directory knows the user and the password, but none of the user's groups maps to
    a role of the emulator."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a login is: the user and the role the server enforces."""

    name: str
    role: str
    source: str = "local"  # or "ldap"


class Accounts:
    """The local accounts of one archive database. Thread-safe."""

    def __init__(self, database: ArchiveDatabase, hasher: PasswordHasher | None = None) -> None:
        self.users = Users(database)
        self._hasher = hasher or PasswordHasher()  # argon2id, RFC 9106's second recommendation
        self._dummy = ""  # made at the first check: an emulator starts without paying for it

    def add(self, name: str, role: str, password: str) -> User:
        """Add a user.

        Raises
        ------
        AccountError
            For a name, role or password that will not do, or a name taken.
        """
        _check_name(name)
        _check_role(role)
        _check_password(password)
        if not self.users.add(name, role, self._hasher.hash(password)):
            raise AccountError(f"there is a user {name!r} already: use passwd, or remove it first")
        log.info("user %s added with role %s", name, role)
        user = self.users.get(name)
        assert user is not None
        return user

    def set_password(self, name: str, password: str) -> None:
        """Give *name* a new password (AccountError if there is no such user)."""
        _check_password(password)
        if not self.users.update(name, password_hash=self._hasher.hash(password)):
            raise AccountError(f"there is no user {name!r}")
        log.info("user %s has a new password", name)

    def set_role(self, name: str, role: str) -> None:
        _check_role(role)
        if not self.users.update(name, role=role):
            raise AccountError(f"there is no user {name!r}")
        log.info("user %s now has role %s", name, role)

    def remove(self, name: str) -> None:
        if not self.users.remove(name):
            raise AccountError(f"there is no user {name!r}")
        log.info("user %s removed", name)

    def verify(self, name: str, password: str) -> Identity | None:
        """The identity of *name* if *password* is theirs, else None. An unknown name costs a
        hash check too, so that timing does not tell which names exist."""
        user = self.users.get(name) if NAME.fullmatch(name) else None
        if user is None and not self._dummy:
            self._dummy = self._hasher.hash("not a password of anyone's")
        try:
            self._hasher.verify(user.password_hash if user else self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if user is None:
            return None
        if self._hasher.check_needs_rehash(user.password_hash):
            self.users.update(name, password_hash=self._hasher.hash(password))
        return Identity(user.name, user.role)


def _check_name(name: str) -> None:
    if not NAME.fullmatch(name):
        raise AccountError(
            f"{name!r} is not a user name: 1 to 64 letters, digits, '.', '_', '@' or '-',"
            " starting with a letter or digit"
        )


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"{role!r} is not a role: give one of {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(
            f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters"
            f" (this one has {len(password)})"
        )
