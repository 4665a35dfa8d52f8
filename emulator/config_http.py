"""The settings of the HTTP server: the admin API and DICOMweb, which it also serves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from emulator.setting import setting


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
        " off a loopback admin.host, required unless there are local users or ldap.url",
        "--admin-tokens",
    )
    tls_cert: Path | None = setting(
        None,
        "PEM certificate chain: serve the admin API, DICOMweb and the console over HTTPS (the"
        " session cookie is then Secure); give it off loopback, where passwords travel",
        "--admin-tls-cert",
    )
    tls_key: Path | None = setting(None, "PEM private key of admin.tls_cert", "--admin-tls-key")
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
    session_ttl: int = setting(
        12 * 3600,
        "seconds a login (POST /api/login) stays valid; logout ends it sooner",
        "--admin-session-ttl",
        lo=60,
        hi=30 * 24 * 3600,
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
class DicomWebConfig:
    """DICOMweb (QIDO-RS, WADO-RS, WADO-URI, STOW-RS) on the admin API's HTTP server."""

    prefix: str = setting(
        "/dicom-web",
        "path under which DICOMweb is served: the base URL is http://HOST:PORT/PREFIX",
        "--dicomweb-prefix",
    )
    cors_origins: str = setting(
        "",
        "comma-separated origins whose web pages may call DICOMweb (CORS), such as"
        " http://localhost:3000 for a viewer's dev server; '*': any origin; empty: none",
        "--dicomweb-cors-origins",
    )
    max_results: int = setting(
        10000,
        "most results one QIDO-RS answer holds (a Warning header says when more matched;"
        " page with limit and offset)",
        "--dicomweb-max-results",
        lo=1,
        hi=10_000_000,
    )
    max_request_size: int = setting(
        4 * 1024**3,
        "largest STOW-RS request body in bytes, read part by part as it arrives (each part is"
        " held to admin.max_upload_size); past it 413, and the parts before it stay stored",
        "--dicomweb-max-request",
        lo=1024,
        hi=2**44,
    )

    @property
    def origins(self) -> list[str]:
        """The origins of dicomweb.cors_origins."""
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


@dataclass(frozen=True, slots=True)
class LdapConfig:
    """Logins from the organisation's directory (LDAP, as Active Directory speaks it)."""

    url: str = setting(
        "",
        "the directory, such as ldaps://dc1.corp.example.com or ldap://localhost:389; empty:"
        " no directory logins (local users and tokens only)",
        "--ldap-url",
    )
    start_tls: bool = setting(
        False, "upgrade an ldap:// connection with StartTLS", "--ldap-start-tls"
    )
    ca_file: Path | None = setting(
        None,
        "PEM CA certificates that sign the directory's TLS certificate (default: the system's)",
        "--ldap-ca-file",
    )
    bind_dn: str = setting(
        "",
        "who searches for the user: a service account's DN (with ldap.bind_password_file), a"
        " pattern with {name} to search as the user logging in (such as"
        " {name}@corp.example.com for Active Directory), or empty for an anonymous search",
        "--ldap-bind-dn",
    )
    bind_password_file: Path | None = setting(
        None,
        "file whose first line is ldap.bind_dn's password (a service account's)",
        "--ldap-bind-password-file",
    )
    user_base: str = setting(
        "",
        "DN under which users are searched, such as OU=Staff,DC=corp,DC=example,DC=com",
        "--ldap-user-base",
    )
    user_filter: str = setting(
        "(&(objectClass=user)(sAMAccountName={name}))",
        "LDAP filter that finds the one entry of the name typed at login ({name}, escaped);"
        " OpenLDAP: (uid={name})",
        "--ldap-user-filter",
    )
    group_attribute: str = setting(
        "memberOf",
        "attribute of the user's entry that lists the DNs of its groups (empty: none)",
        "--ldap-group-attribute",
    )
    group_base: str = setting(
        "",
        "DN under which groups whose members include the user are also searched (empty: only"
        " ldap.group_attribute)",
        "--ldap-group-base",
    )
    group_filter: str = setting(
        "(|(member={dn})(uniqueMember={dn}))",
        "filter for ldap.group_base ({dn}: the user's DN, {name}: the login name); Active"
        " Directory's nested groups: (member:1.2.840.113556.1.4.1941:={dn})",
        "--ldap-group-filter",
    )
    admin_groups: str = setting(
        "",
        "groups whose members are admins: DNs or common names, separated by ';'",
        "--ldap-admin-groups",
    )
    test_write_groups: str = setting(
        "",
        "groups whose members may change test data (test_write): DNs or names, by ';'",
        "--ldap-test-write-groups",
    )
    viewer_groups: str = setting(
        "",
        "groups whose members may read (viewer): DNs or names, by ';'; a user in none of the"
        " three groups cannot log in",
        "--ldap-viewer-groups",
    )
    timeout: int = setting(
        5,
        "seconds to wait for the directory before a login fails with 503",
        "--ldap-timeout",
        lo=1,
        hi=120,
    )

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def groups(self, role: str) -> list[str]:
        """The groups of *role*'s setting (admin, test_write or viewer)."""
        value: str = getattr(self, f"{role}_groups")
        return [g.strip() for g in value.split(";") if g.strip()]
