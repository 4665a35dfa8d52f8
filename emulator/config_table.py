"""The declared settings table: every setting of the emulator as a dataclass field, with its
help text, command-line flag, default and bounds, section by section. ``emulator/config.py``
reads them from TOML and flags; the docs and ``--help`` are written from the same rows."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.config_http import AdminConfig, DicomWebConfig, LdapConfig
from emulator.remotes import RemoteAE
from emulator.setting import setting


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
    """C-MOVE, C-GET (and, for coercion, WADO-RS) behaviour."""

    unregistered_destination_port: int = setting(
        0,
        "0: a C-MOVE destination not in remote_aes is refused (0xA801); N: it is reached at"
        " the requestor's address on port N",
        "--unregistered-destination-port",
        lo=0,
        hi=65535,
    )
    coerce_patient: bool = setting(
        False,
        "send each instance (C-MOVE, C-GET, WADO-RS) with its patient's name, ID, issuer,"
        " birth date and sex as the index has them now (after HL7 ADT changes), not as"
        " stored; such an instance is decoded and encoded again",
        "--coerce-patient",
    )


@dataclass(frozen=True, slots=True)
class WorklistConfig:
    """Modality Worklist behaviour."""

    hide_completed: bool = setting(
        True,
        "drop items whose procedure step is COMPLETED or DISCONTINUED from worklist answers",
        "--hide-completed",
    )
    acquire_on_mpps: bool = setting(
        False,
        "when a modality's MPPS sets a step COMPLETED and the archive has none of its study,"
        " make that study (a simulated acquisition: the images the modality did not send)",
        "--acquire-on-mpps",
    )


@dataclass(frozen=True, slots=True)
class HL7Config:
    """The HL7 v2 order listener (MLLP)."""

    host: str = setting("0.0.0.0", "address the HL7 MLLP listener binds", "--hl7-host")
    port: int = setting(
        -1,
        "HL7 MLLP port for ORM/OMI orders and ADT patient changes (conventionally 2575); -1:"
        " off; 0: any free port",
        "--hl7-port",
        lo=-1,
        hi=65535,
    )
    acquire: bool = setting(
        False,
        "turn every new order into the study it schedules (a simulated acquisition: its images"
        " stored with the order's patient and identifiers): an HL7 order (MLLP or POST"
        " /api/hl7) before its ACK, a worklist item added by POST /api/worklist before the"
        " answer",
        "--hl7-acquire",
    )
    acquire_delay: float = setting(
        0.0,
        "with hl7.acquire, seconds after the ACK to acquire the order's study (a modality"
        " takes its time); 0: before the ACK is sent",
        "--hl7-acquire-delay",
        lo=0,
        hi=86400,
    )
    acquire_send_to: str = setting(
        "",
        "with hl7.acquire, the remote AE (name or AE title) each acquired study is then"
        " stored to, as its modality would send it to the PACS; empty: kept here",
        "--hl7-acquire-send-to",
    )
    acquire_commit: bool = setting(
        False,
        "with hl7.acquire_send_to, ask that AE for Storage Commitment of the study sent",
        "--hl7-acquire-commit",
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
    dicomweb: DicomWebConfig = field(default_factory=DicomWebConfig)
    ldap: LdapConfig = field(default_factory=LdapConfig)
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
    "dicomweb": DicomWebConfig,
    "ldap": LdapConfig,
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
