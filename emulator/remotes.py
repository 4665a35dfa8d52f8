"""Remote AEs: where C-MOVE destinations (and later Storage Commitment callbacks) live.

They come from ``[remote_aes.NAME]`` tables in the config file and repeatable
``--remote-ae NAME=AETITLE@HOST:PORT`` flags; the registry is looked up by AE title.
"""

from __future__ import annotations

import re
import ssl
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

_NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_AE_RE = re.compile(r"[\x20-\x5b\x5d-\x7e]{1,16}")  # PS3.5 Table 6.2-1 AE: no "\" or controls


def valid_ae_title(value: object) -> bool:
    """True if *value* is an AE title: 1-16 characters, no backslash or control codes, not
    only spaces (PS3.5 Table 6.2-1)."""
    return isinstance(value, str) and _AE_RE.fullmatch(value.strip() or "x" * 17) is not None


_SPEC_RE = re.compile(r"(?P<name>[^=]+)=(?P<ae>[^@]+)@(?P<host>\[[^\]]+\]|[^:]+):(?P<port>.+)")
SPEC_FORMAT = "NAME=AETITLE@HOST:PORT"


@dataclass(frozen=True, slots=True)
class RemoteAE:
    """A peer the emulator connects to: a name, its AE title and its address."""

    name: str
    ae_title: str
    host: str
    port: int
    tls: bool = False  # connect with TLS, verifying the certificate and host name
    ca_file: str = ""  # CA certificates (PEM) to verify against; empty: the system's
    commitment_mode: str = ""  # overrides commitment.mode for this AE ("": the setting)
    commitment_delay: float | None = None  # overrides commitment.delay for this AE

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def tls_args(self) -> tuple[ssl.SSLContext, str] | None:
        """pynetdicom's ``tls_args`` for an association to this AE, or None without TLS.

        Raises
        ------
        OSError
            If ``ca_file`` cannot be read.
        """
        if not self.tls:
            return None
        context = ssl.create_default_context(cafile=self.ca_file or None)
        return context, self.host


def _check(name: str, ae_title: object, host: object, port: object) -> list[str]:
    problems = []
    if not _NAME_RE.fullmatch(name):
        problems.append("name must be 1-64 letters, digits, '_', '.' or '-'")
    if not valid_ae_title(ae_title):
        problems.append(
            f"ae_title must be 1-16 characters without '\\' or control codes, got {ae_title!r}"
        )
    if not isinstance(host, str) or not host.strip():
        problems.append(f"host must be a host name or address, got {host!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        problems.append(f"port must be an integer 1 to 65535, got {port!r}")
    return problems


def parse_spec(spec: str) -> RemoteAE:
    """A remote AE from ``NAME=AETITLE@HOST:PORT`` (an IPv6 host goes in brackets).

    Raises
    ------
    ValueError
        Saying what is wrong with *spec*.
    """
    match = _SPEC_RE.fullmatch(spec.strip())
    if match is None:
        raise ValueError(f"{spec!r} is not {SPEC_FORMAT}")
    name, ae_title, host = match["name"], match["ae"], match["host"].strip("[]")
    port: object = int(match["port"]) if match["port"].isdigit() else match["port"]
    problems = _check(name, ae_title, host, port)
    if problems:
        raise ValueError(f"{spec!r}: " + "; ".join(problems))
    return RemoteAE(name, ae_title.strip(), host, int(str(port)))


_TABLE_KEYS = ("ae_title", "host", "port", "tls", "ca_file", "commitment_mode", "commitment_delay")
_COMMITMENT_MODES = ("auto", "same", "new")


def from_table(
    name: str, table: object, base: Path | None = None
) -> tuple[RemoteAE | None, list[str]]:
    """A remote AE from a ``[remote_aes.NAME]`` TOML table, or the problems found.

    A relative ``ca_file`` resolves against *base* (the config file's directory).
    """
    if not isinstance(table, dict):
        return None, ["expected a table with ae_title, host and port"]
    unknown = sorted(set(table) - set(_TABLE_KEYS))
    problems = [f"{key}: unknown key (expected {', '.join(_TABLE_KEYS)})" for key in unknown]
    ae_title, host, port = table.get("ae_title"), table.get("host"), table.get("port")
    problems += _check(name, ae_title, host, port)
    tls, ca_file = table.get("tls", False), table.get("ca_file", "")
    if not isinstance(tls, bool):
        problems.append(f"tls must be true or false, got {tls!r}")
    if not isinstance(ca_file, str):
        problems.append(f"ca_file must be a path, got {ca_file!r}")
    elif ca_file:
        path = Path(ca_file) if base is None or Path(ca_file).is_absolute() else base / ca_file
        if not path.is_file():
            problems.append(f"ca_file {str(path)!r} is not a file")
        ca_file = str(path)
    mode, delay = table.get("commitment_mode", ""), table.get("commitment_delay")
    if mode not in ("", *_COMMITMENT_MODES):
        problems.append(
            f"commitment_mode must be one of {', '.join(_COMMITMENT_MODES)}, got {mode!r}"
        )
    if delay is not None and (
        isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0
    ):
        problems.append(f"commitment_delay must be seconds (0 or more), got {delay!r}")
    if problems:
        return None, problems
    remote = RemoteAE(
        name,
        str(ae_title).strip(),
        str(host),
        int(str(port)),
        tls,
        ca_file,
        str(mode),
        None if delay is None else float(delay),
    )
    return remote, []


def duplicate_titles(remotes: Iterable[RemoteAE]) -> list[str]:
    """Problems for AE titles used by more than one remote AE (lookups would be ambiguous)."""
    seen: dict[str, str] = {}
    problems = []
    for remote in remotes:
        if remote.ae_title in seen:
            problems.append(
                f"AE title {remote.ae_title!r} is used by both {seen[remote.ae_title]!r}"
                f" and {remote.name!r}"
            )
        seen.setdefault(remote.ae_title, remote.name)
    return problems


class RemoteAERegistry:
    """The remote AEs the emulator knows, by AE title. Thread-safe."""

    def __init__(self, remotes: Iterable[RemoteAE] = ()) -> None:
        self._lock = threading.Lock()
        self._by_name = {remote.name: remote for remote in remotes}

    def lookup(self, ae_title: str) -> RemoteAE | None:
        """The remote AE whose AE title is *ae_title* (trailing spaces ignored), or None."""
        ae_title = ae_title.strip()
        with self._lock:
            return next((r for r in self._by_name.values() if r.ae_title == ae_title), None)

    def put(self, remote: RemoteAE) -> None:
        """Add or replace (by name) a remote AE.

        Raises
        ------
        ValueError
            If another remote AE already has its AE title.
        """
        with self._lock:
            clash = [
                r
                for r in self._by_name.values()
                if r.ae_title == remote.ae_title and r.name != remote.name
            ]
            if clash:
                raise ValueError(
                    f"AE title {remote.ae_title!r} is already used by {clash[0].name!r}"
                )
            self._by_name[remote.name] = remote

    def remove(self, name: str) -> bool:
        """Forget the remote AE called *name*; False if there was none."""
        with self._lock:
            return self._by_name.pop(name, None) is not None

    def all(self) -> list[RemoteAE]:
        with self._lock:
            return sorted(self._by_name.values(), key=lambda r: r.name)
