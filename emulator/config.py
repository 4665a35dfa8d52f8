"""Settings read from TOML and flags, against the declared table (``config_table.py``).

Sources, lowest to highest: defaults < TOML file (``--config``) < command-line flags.
Unknown keys are errors; every problem is collected before :class:`ConfigError` is raised, so
the user fixes them in one round. Relative paths in a file resolve against the file's directory.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import Any

from emulator.config_table import (
    COMMITMENT_MODES,
    REMOTE_AES,
    SECTIONS,
    TOP_LEVEL,
    AdminConfig,
    CommitmentConfig,
    Config,
    DicomConfig,
    HL7Config,
    JournalConfig,
    QueryConfig,
    RetrieveConfig,
    ScenarioConfig,
    Setting,
    StorageConfig,
    WorklistConfig,
    setting,
    settings,
)
from emulator.errors import ConfigError
from emulator.remotes import RemoteAE, duplicate_titles, from_table, parse_spec, valid_ae_title

__all__ = [
    "COMMITMENT_MODES",
    "REMOTE_AES",
    "SECTIONS",
    "TOP_LEVEL",
    "AdminConfig",
    "CommitmentConfig",
    "Config",
    "DicomConfig",
    "HL7Config",
    "JournalConfig",
    "QueryConfig",
    "RetrieveConfig",
    "ScenarioConfig",
    "Setting",
    "StorageConfig",
    "WorklistConfig",
    "as_dict",
    "load_config",
    "setting",
    "settings",
]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def _coerce(row: Setting, value: Any) -> tuple[Any, str | None]:
    """Convert and check one value; return (value, problem)."""
    t = row.type
    if t is bool:
        if isinstance(value, bool):
            return value, None
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.lower() in ("true", "yes", "1"), None
        return None, f"expected true or false, got {value!r}"
    if t in (int, float):
        try:
            if isinstance(value, bool) or (t is int and isinstance(value, float)):
                raise ValueError
            number = t(value)
        except (TypeError, ValueError):
            kind = "an integer" if t is int else "a number"
            return None, f"expected {kind}, got {value!r}"
        lo, hi = row.checks.get("lo"), row.checks.get("hi")
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            return None, f"expected {lo} to {hi}, got {number}"
        return number, None
    if t is Path:
        if not isinstance(value, (str, Path)) or str(value) == "":
            return None, f"expected a path, got {value!r}"
        return Path(value), None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ",".join(value)  # a TOML array for a comma-separated list
    if not isinstance(value, str):
        return None, f"expected a string, got {value!r}"
    choices = row.checks.get("choices")
    if choices and value.lower() not in choices:
        return None, f"expected one of {', '.join(choices)}, got {value!r}"
    if row.key.endswith("ae_title") and not valid_ae_title(value):
        return None, f"AE title must be 1-16 characters without '\\' or control codes: {value!r}"
    return (value.lower() if choices else value.strip() if "ae_title" in row.key else value), None


def _flatten(data: dict[str, Any], where: str, problems: list[str]) -> dict[str, Any]:
    known = {row.key for row in settings()}
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key == REMOTE_AES:
            continue  # read by _remote_aes
        if key in SECTIONS and isinstance(value, dict):
            for sub, subvalue in value.items():
                flat[f"{key}.{sub}"] = subvalue
        else:
            flat[key] = value
    for key in list(flat):
        if key not in known:
            hint = difflib.get_close_matches(key, sorted(known), n=1)
            suggestion = f' (did you mean "{hint[0]}"?)' if hint else ""
            problems.append(f"{where}: {key}: unknown setting{suggestion}")
            del flat[key]
    return flat


def load_config(path: Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Build the configuration from defaults, an optional TOML file and *overrides*.

    *overrides* uses dotted keys (``"dicom.port"``); None values are ignored. Its
    ``"remote_aes"`` entry is a list of ``NAME=AETITLE@HOST:PORT`` strings, which replace
    file entries of the same name.

    Raises
    ------
    ConfigError
        Listing every problem found, each naming its source and key.
    """
    problems: list[str] = []
    values: dict[str, tuple[Any, str]] = {}
    remotes: dict[str, RemoteAE] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        for key, value in _flatten(data, str(path), problems).items():
            values[key] = (value, str(path))
        remotes.update(_remote_aes_from_file(data.get(REMOTE_AES, {}), path, problems))
    remotes.update(_remote_aes_from_flags((overrides or {}).get(REMOTE_AES) or [], problems))
    for key, value in _flatten(
        {k: v for k, v in (overrides or {}).items() if v is not None}, "command line", problems
    ).items():
        values[key] = (value, "command line")
    result: dict[str, Any] = {}
    for row in settings():
        if row.key not in values:
            continue
        raw, where = values[row.key]
        value, problem = _coerce(row, raw)
        if problem:
            problems.append(f"{where}: {row.key}: {problem}")
            continue
        if row.type is Path and where != "command line" and path and not value.is_absolute():
            value = path.parent / value
        result[row.key] = value
    problems += [f"remote_aes: {p}" for p in duplicate_titles(remotes.values())]
    problems += _cross_checks(result)
    if problems:
        raise ConfigError("invalid configuration", problems)
    return _build(result, tuple(remotes.values()))


def _cross_checks(values: dict[str, Any]) -> list[str]:
    """Problems of settings that only make sense together."""
    problems = []
    if bool(values.get("dicom.tls_cert")) != bool(values.get("dicom.tls_key")):
        problems.append("dicom.tls_cert and dicom.tls_key: give both (--tls-cert, --tls-key)")
    if values.get("dicom.tls_ca") and not values.get("dicom.tls_cert"):
        problems.append("dicom.tls_ca: client certificates need TLS: give --tls-cert and --tls-key")
    if bool(values.get("admin.tls_cert")) != bool(values.get("admin.tls_key")):
        problems.append(
            "admin.tls_cert and admin.tls_key: give both (--admin-tls-cert, --admin-tls-key)"
        )
    files = ["dicom.tls_cert", "dicom.tls_key", "dicom.tls_ca", "admin.tokens_file"]
    files += ["admin.tls_cert", "admin.tls_key"]
    for key in (*files, "ldap.ca_file", "ldap.bind_password_file"):
        path = values.get(key)
        if path is not None and not Path(path).is_file():
            problems.append(f"{key}: {str(path)!r} is not a file")
    prefix = str(values.get("dicomweb.prefix", "/dicom-web"))
    if not prefix.startswith("/") or prefix.rstrip("/") in ("", "/api") or " " in prefix:
        problems.append(
            f"dicomweb.prefix: {prefix!r} is not a path of its own; give one such as /dicom-web"
        )
    for origin in str(values.get("dicomweb.cors_origins", "")).split(","):
        origin = origin.strip()
        if origin and origin != "*" and not origin.startswith(("http://", "https://")):
            problems.append(
                f"dicomweb.cors_origins: {origin!r} is not an origin such as"
                " http://localhost:3000 (scheme, host and port)"
            )
    for title in str(values.get("dicom.allowed_calling_aes", "")).split(","):
        if title.strip() and not valid_ae_title(title.strip()):
            problems.append(f"dicom.allowed_calling_aes: {title.strip()!r} is not an AE title")
    return problems + _ldap_checks(values)


def _ldap_checks(values: dict[str, Any]) -> list[str]:
    """Problems of the ldap section, when a directory is configured."""
    url = str(values.get("ldap.url", ""))
    if not url:
        return []
    problems = []
    if not url.startswith(("ldap://", "ldaps://")):
        problems.append(f"ldap.url: {url!r} is not an ldap:// or ldaps:// URL")
    if not values.get("ldap.user_base"):
        problems.append("ldap.user_base: give the DN under which users are searched")
    if "{name}" not in str(values.get("ldap.user_filter", "{name}")):
        problems.append("ldap.user_filter: the filter needs {name}, the name typed at login")
    bind_dn = str(values.get("ldap.bind_dn", ""))
    if values.get("ldap.bind_password_file") and ("{name}" in bind_dn or not bind_dn):
        problems.append(
            "ldap.bind_password_file: a password is for a service account: give its DN as"
            " ldap.bind_dn"
        )
    if bind_dn and "{name}" not in bind_dn and not values.get("ldap.bind_password_file"):
        problems.append(
            f"ldap.bind_dn: give the password of {bind_dn!r} in ldap.bind_password_file"
        )
    if not any(values.get(f"ldap.{role}_groups") for role in ("admin", "test_write", "viewer")):
        problems.append(
            "ldap: map directory groups to roles with ldap.admin_groups, ldap.test_write_groups"
            " or ldap.viewer_groups (no one could log in otherwise)"
        )
    return problems


def _remote_aes_from_file(tables: object, path: Path, problems: list[str]) -> dict[str, RemoteAE]:
    if not isinstance(tables, dict):
        problems.append(f"{path}: remote_aes: expected [remote_aes.NAME] tables")
        return {}
    remotes = {}
    for name, table in tables.items():
        remote, found = from_table(name, table, path.parent)
        problems += [f"{path}: remote_aes.{name}: {p}" for p in found]
        if remote is not None:
            remotes[name] = remote
    return remotes


def _remote_aes_from_flags(specs: list[str], problems: list[str]) -> dict[str, RemoteAE]:
    remotes = {}
    for spec in specs:
        try:
            remote = parse_spec(spec)
        except ValueError as exc:
            problems.append(f"command line: --remote-ae: {exc}")
            continue
        remotes[remote.name] = remote
    return remotes


def _build(values: dict[str, Any], remote_aes: tuple[RemoteAE, ...]) -> Config:
    sections = {
        name: cls(**{k.split(".", 1)[1]: v for k, v in values.items() if k.startswith(name + ".")})
        for name, cls in SECTIONS.items()
    }
    top = {k: v for k, v in values.items() if k in TOP_LEVEL}
    return Config(**sections, **top, remote_aes=remote_aes)


def as_dict(config: Config) -> dict[str, Any]:
    """The effective configuration as plain data (paths as strings), for printing and JSON."""
    out: dict[str, Any] = {}
    for row in settings():
        obj: Any = config
        for part in row.key.split("."):
            obj = getattr(obj, part)
        out[row.key] = str(obj) if isinstance(obj, Path) else obj
    out[REMOTE_AES] = [remote.as_dict() for remote in config.remote_aes]
    return out
