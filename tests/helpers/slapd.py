"""A real directory server for the login specs: Debian's ``slapd`` (OpenLDAP) with a throwaway
database on a free port, its ``memberOf`` kept by the memberof overlay as Active Directory
keeps it, filled with people and groups through LDAP itself."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import free_port, wait_until

SLAPD = shutil.which("slapd") or ("/usr/sbin/slapd" if Path("/usr/sbin/slapd").exists() else None)
MODULES = next((p for p in (Path("/usr/lib/ldap"),) if (p / "back_mdb.so").exists()), None)
SCHEMA = Path("/etc/ldap/schema")

SUFFIX = "dc=example,dc=org"
ROOT_DN, ROOT_PASSWORD = f"cn=admin,{SUFFIX}", "root secret"
PEOPLE, GROUPS = f"ou=people,{SUFFIX}", f"ou=groups,{SUFFIX}"
READER_DN, READER_PASSWORD = f"cn=reader,{SUFFIX}", "reader secret"


@dataclass(frozen=True)
class Directory:
    """A running slapd: its URL, and who is in it (uid → password, group → members)."""

    url: str
    people: dict[str, str]
    groups: dict[str, list[str]]

    @staticmethod
    def person(uid: str) -> str:
        return f"uid={uid},{PEOPLE}"

    @staticmethod
    def group(name: str) -> str:
        return f"cn={name},{GROUPS}"


def _config(root: Path) -> str:
    schemas = ("core", "cosine", "inetorgperson", "nis")
    return "\n".join(
        [
            *(f"include {SCHEMA / name}.schema" for name in schemas),
            f"modulepath {MODULES}",
            "moduleload back_mdb",
            "moduleload memberof",
            f"pidfile {root / 'slapd.pid'}",
            "database mdb",
            f'suffix "{SUFFIX}"',
            f'rootdn "{ROOT_DN}"',
            f'rootpw "{ROOT_PASSWORD}"',
            f"directory {root / 'db'}",
            "maxsize 10485760",
            "overlay memberof",
            "",
        ]
    )


@contextmanager
def slapd(
    tmp_path: Path, people: dict[str, str], groups: dict[str, list[str]]
) -> Iterator[Directory]:
    """slapd on loopback with *people* (uid → password) in ou=people and *groups* (common
    name → member uids, groupOfNames) in ou=groups, plus a service account cn=reader."""
    from ldap3 import Connection, Server

    if SLAPD is None or MODULES is None:
        raise RuntimeError("slapd is not installed: apt-get install slapd")
    root = tmp_path / "slapd"
    (root / "db").mkdir(parents=True)
    (root / "slapd.conf").write_text(_config(root))
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    log = (root / "slapd.log").open("w")
    proc = subprocess.Popen(
        [SLAPD, "-f", str(root / "slapd.conf"), "-h", f"{url}/", "-d", "0"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:

        def listening() -> bool:
            assert proc.poll() is None, (root / "slapd.log").read_text()
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", port)) == 0

        assert wait_until(listening, timeout=20), "slapd did not listen within 20 s"
        conn = Connection(Server(url), ROOT_DN, ROOT_PASSWORD, auto_bind=True)
        entries = [
            (SUFFIX, ["dcObject", "organization"], {"o": "Example", "dc": "example"}),
            (PEOPLE, ["organizationalUnit"], {"ou": "people"}),
            (GROUPS, ["organizationalUnit"], {"ou": "groups"}),
            (READER_DN, ["person"], {"sn": "reader", "userPassword": READER_PASSWORD}),
            *(
                (
                    Directory.person(uid),
                    ["inetOrgPerson"],
                    {"cn": uid, "sn": uid, "uid": uid, "userPassword": password},
                )
                for uid, password in people.items()
            ),
            *(
                (
                    Directory.group(name),
                    ["groupOfNames"],
                    {"cn": name, "member": [Directory.person(uid) for uid in members]},
                )
                for name, members in groups.items()
            ),
        ]
        for dn, classes, attributes in entries:
            assert conn.add(dn, classes, attributes), (dn, conn.result)
        conn.unbind()
        yield Directory(url, people, groups)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
