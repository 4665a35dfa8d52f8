"""Settings: one declared table (dataclass fields with help and flag), read from TOML and flags.

Sources, lowest to highest: defaults < TOML file (``--config``) < command-line flags.
Unknown keys are errors; every problem is collected before :class:`ConfigError` is raised, so
the user fixes them in one round. Relative paths in a file resolve against the file's directory.
"""

from __future__ import annotations

import dataclasses
import difflib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.errors import ConfigError
from emulator.remotes import RemoteAE, duplicate_titles, from_table, parse_spec, valid_ae_title

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def setting(default: Any, help: str, flag: str | None = None, **checks: Any) -> Any:
    """A config field with its help text, command-line flag and validation bounds."""
    return field(default=default, metadata={"help": help, "flag": flag, **checks})


@dataclass(frozen=True, slots=True)
class DicomConfig:
    """The DICOM listener."""

    host: str = setting("0.0.0.0", "address the DICOM listener binds", "--host")
    port: int = setting(
        11112,
        "DICOM port; 0 picks a free port (printed in the ready line)",
        "--port",
        lo=0,
        hi=65535,
    )
    ae_title: str = setting("FABRICATOR", "the emulator's AE title", "--ae-title")
    max_associations: int = setting(
        50,
        "concurrent associations; more are rejected (transient, local limit)",
        "--max-associations",
        lo=1,
        hi=10000,
    )
    max_pdu: int = setting(
        16382,
        "maximum PDU length the emulator receives; 0 means unlimited",
        "--max-pdu",
        lo=0,
        hi=2**32 - 1,
    )
    network_timeout: float = setting(
        60.0,
        "seconds an idle association waits for the peer before it is aborted",
        "--network-timeout",
        lo=0.1,
        hi=86400,
    )
    dimse_timeout: float = setting(
        30.0,
        "seconds to wait for a DIMSE message (also sub-operation responses)",
        "--dimse-timeout",
        lo=0.1,
        hi=86400,
    )
    acse_timeout: float = setting(
        30.0,
        "seconds to wait for association negotiation messages",
        "--acse-timeout",
        lo=0.1,
        hi=86400,
    )
    first_pdu_timeout: float = setting(
        5.0,
        "seconds a new connection has to send its A-ASSOCIATE-RQ (or finish its TLS"
        " handshake) before it is closed; a scenario's connect-phase rules wait as they say",
        "--first-pdu-timeout",
        lo=0.1,
        hi=3600,
    )
    max_pending_connections: int = setting(
        500,
        "connections that may wait for their A-ASSOCIATE-RQ at once; beyond that the one"
        " that waited longest is closed (they hold no association slot, and no thread)",
        "--max-pending-connections",
        lo=1,
        hi=100000,
    )
    shutdown_grace: float = setting(
        5.0,
        "seconds associations in flight get to finish at shutdown before they are aborted",
        "--shutdown-grace",
        lo=0,
        hi=3600,
    )
    allowed_calling_aes: str = setting(
        "",
        "comma-separated calling AE titles that may associate; others are rejected"
        " (permanent, service user, calling AE title not recognized); empty: any",
        "--allowed-calling-aes",
    )
    require_called_ae: bool = setting(
        False,
        "reject associations whose called AE title is not dicom.ae_title (permanent, service"
        " user, called AE title not recognized)",
        "--require-called-ae",
    )
    max_dataset_size: int = setting(
        0,
        "largest C-STORE data set in bytes; a larger one is refused with 0xA700 (out of"
        " resources) and not stored; 0: no limit",
        "--max-dataset-size",
        lo=0,
        hi=2**63 - 1,
    )
    tls_cert: Path | None = setting(
        None,
        "PEM certificate (chain) for DICOM over TLS; with dicom.tls_key the port speaks TLS only",
        "--tls-cert",
    )
    tls_key: Path | None = setting(None, "PEM private key of dicom.tls_cert", "--tls-key")
    tls_ca: Path | None = setting(
        None,
        "PEM CA certificates: clients must present a certificate they signed (mutual TLS)",
        "--tls-ca",
    )

    @property
    def calling_aes(self) -> list[str]:
        """The allow-list of calling AE titles (empty: any)."""
        return [t.strip() for t in self.allowed_calling_aes.split(",") if t.strip()]


@dataclass(frozen=True, slots=True)
class AdminConfig:
    """The HTTP admin API."""

    host: str = setting("127.0.0.1", "address the admin API binds", "--admin-host")
    port: int = setting(
        8180,
        "admin API port; 0 picks a free port (printed in the ready line)",
        "--admin-port",
        lo=0,
        hi=65535,
    )
    tokens_file: Path | None = setting(
        None,
        "file of bearer tokens, one 'ROLE TOKEN' per line (viewer, test_write, admin);"
        " required when admin.host is not a loopback address",
        "--admin-tokens",
    )
    allowed_hosts: str = setting(
        "",
        "comma-separated host names the admin API answers to besides loopback names and"
        " addresses, IP addresses and admin.host (a guard against DNS rebinding); '*': any",
        "--admin-allowed-hosts",
    )
    max_body_size: int = setting(
        1024 * 1024,
        "largest JSON, YAML or HL7 request body in bytes; a larger one gets 413",
        "--admin-max-body",
        lo=1024,
        hi=2**31 - 1,
    )
    max_upload_size: int = setting(
        512 * 1024 * 1024,
        "largest Part 10 file one upload part may be, in bytes (read in chunks; a larger"
        " part gets 413 and nothing of it is stored)",
        "--admin-max-upload",
        lo=1024,
        hi=2**40,
    )
    max_fabricate_instances: int = setting(
        100_000,
        "most instances one POST /api/fabricate may make (the fabricate command has no cap)",
        "--admin-max-fabricate",
        lo=1,
        hi=100_000_000,
    )

    @property
    def host_names(self) -> list[str]:
        """The extra host names of admin.allowed_hosts, lower case."""
        return [h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip()]


@dataclass(frozen=True, slots=True)
class StorageConfig:
    """The data directory: SQLite index and Part 10 files."""

    data_dir: Path = setting(
        Path("fabricator-data"),
        "data directory (created if missing, reused if present)",
        "--data-dir",
    )
    empty: bool = setting(
        False,
        "start a new data directory empty (default: with a small seeded demo archive)",
        "--empty",
    )
    fsync: bool = setting(
        False,
        "sync each received file and index commit to disk before the C-STORE response, so"
        " that stored instances survive a power loss; a crash or kill -9 loses nothing"
        " acknowledged either way",
        "--fsync",
    )


@dataclass(frozen=True, slots=True)
class QueryConfig:
    """C-FIND behaviour."""

    pn_case_insensitive: bool = setting(
        True, "match person names ignoring case", "--pn-case-insensitive"
    )
    reject_lower_level_keys: bool = setting(
        False,
        "answer 0xA900 to a key below the query level (default: return it empty)",
        "--reject-lower-level-keys",
    )


@dataclass(frozen=True, slots=True)
class RetrieveConfig:
    """C-MOVE and C-GET behaviour."""

    unregistered_destination_port: int = setting(
        0,
        "0: a C-MOVE destination not in remote_aes is refused (0xA801); N: it is reached at"
        " the requestor's address on port N",
        "--unregistered-destination-port",
        lo=0,
        hi=65535,
    )


@dataclass(frozen=True, slots=True)
class WorklistConfig:
    """Modality Worklist behaviour."""

    hide_completed: bool = setting(
        True,
        "drop items whose procedure step is COMPLETED or DISCONTINUED from worklist answers",
        "--hide-completed",
    )


@dataclass(frozen=True, slots=True)
class HL7Config:
    """The HL7 v2 order listener (MLLP)."""

    host: str = setting("0.0.0.0", "address the HL7 MLLP listener binds", "--hl7-host")
    port: int = setting(
        -1,
        "HL7 MLLP port for ORM/OMI orders (conventionally 2575); -1: off; 0: any free port",
        "--hl7-port",
        lo=-1,
        hi=65535,
    )


@dataclass(frozen=True, slots=True)
class JournalConfig:
    """The request journal."""

    max_entries: int = setting(
        10000,
        "association and message records each kept in memory for /api/journal queries; every"
        " record is also kept in the index (readable by id) until a reset clears it",
        "--journal-max",
        lo=1,
        hi=10_000_000,
    )


@dataclass(frozen=True, slots=True)
class ScenarioConfig:
    """Fault and latency rules (see the README's Scenarios section)."""

    file: Path | None = setting(
        None,
        "scenario file (YAML or JSON) whose rules inject faults; SIGHUP reloads it",
        "--scenario",
    )
    seed: int | None = setting(
        None,
        "seed of the scenario's random draws, instead of the file's (neither: a random"
        " seed, logged and shown in /api/health)",
        "--scenario-seed",
        lo=0,
        hi=2**63 - 1,
    )


COMMITMENT_MODES = ("auto", "same", "new")


@dataclass(frozen=True, slots=True)
class CommitmentConfig:
    """Storage Commitment Push Model: how the N-EVENT-REPORT reaches the requestor."""

    mode: str = setting(
        "auto",
        "auto: on the N-ACTION's association while the requestor waits on it, else a new one to"
        " the requestor's registered address; same: only on that association; new: always a"
        " new association",
        "--commitment-mode",
        choices=COMMITMENT_MODES,
    )
    delay: float = setting(
        0.0,
        "seconds between the N-ACTION-RSP and the N-EVENT-REPORT",
        "--commitment-delay",
        lo=0,
        hi=86400,
    )
    auto_grace: float = setting(
        2.0,
        "auto mode: seconds to wait for the N-EVENT-REPORT-RSP on the N-ACTION's association"
        " before reporting on a new one (a requestor that releases at once never answers there)",
        "--commitment-auto-grace",
        lo=0.05,
        hi=3600,
    )


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the emulator is configured with."""

    dicom: DicomConfig = field(default_factory=DicomConfig)
    admin: AdminConfig = field(default_factory=AdminConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    query: QueryConfig = field(default_factory=QueryConfig)
    retrieve: RetrieveConfig = field(default_factory=RetrieveConfig)
    worklist: WorklistConfig = field(default_factory=WorklistConfig)
    commitment: CommitmentConfig = field(default_factory=CommitmentConfig)
    hl7: HL7Config = field(default_factory=HL7Config)
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    journal: JournalConfig = field(default_factory=JournalConfig)
    remote_aes: tuple[RemoteAE, ...] = ()
    log_level: str = setting(
        "info",
        "debug, info, warning or error",
        "--log-level",
        choices=("debug", "info", "warning", "error"),
    )


SECTIONS: dict[str, type] = {
    "dicom": DicomConfig,
    "admin": AdminConfig,
    "storage": StorageConfig,
    "query": QueryConfig,
    "retrieve": RetrieveConfig,
    "worklist": WorklistConfig,
    "commitment": CommitmentConfig,
    "hl7": HL7Config,
    "scenario": ScenarioConfig,
    "journal": JournalConfig,
}
TOP_LEVEL = ("log_level",)
REMOTE_AES = "remote_aes"  # [remote_aes.NAME] tables; --remote-ae NAME=AETITLE@HOST:PORT


@dataclass(frozen=True, slots=True)
class Setting:
    """One row of the declared settings table."""

    key: str  # "dicom.port" or "log_level"
    type: type
    default: Any
    help: str
    flag: str | None
    checks: dict[str, Any]


def _row(key: str, f: dataclasses.Field[Any]) -> Setting:
    meta = dict(f.metadata)
    help_text, flag = meta.pop("help"), meta.pop("flag")
    default = f.default if f.default is not dataclasses.MISSING else None
    types = {"int": int, "float": float, "bool": bool, "str": str, "Path": Path}
    ftype = types[str(f.type).removesuffix(" | None")]
    return Setting(key, ftype, default, help_text, flag, meta)


def settings() -> list[Setting]:
    """The declared settings table: config keys, types, defaults, help and flags."""
    rows = [_row(name, f) for f in dataclasses.fields(Config) if (name := f.name) in TOP_LEVEL]
    for section, cls in SECTIONS.items():
        rows.extend(_row(f"{section}.{f.name}", f) for f in dataclasses.fields(cls))
    return rows


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
    for key in ("dicom.tls_cert", "dicom.tls_key", "dicom.tls_ca", "admin.tokens_file"):
        path = values.get(key)
        if path is not None and not Path(path).is_file():
            problems.append(f"{key}: {str(path)!r} is not a file")
    for title in str(values.get("dicom.allowed_calling_aes", "")).split(","):
        if title.strip() and not valid_ae_title(title.strip()):
            problems.append(f"dicom.allowed_calling_aes: {title.strip()!r} is not an AE title")
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
