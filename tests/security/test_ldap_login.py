"""Enterprise logins against a real directory server (Debian's slapd, a throwaway database):
the password checked by an LDAP bind as the user, the role from the user's groups (memberOf
as Active Directory keeps it, or a search of the groups), the roles enforced, and a
directory that is down or a name that is a filter never letting anyone in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator import Emulator
from emulator.admin.app import make_app
from emulator.errors import ConfigError
from emulator.services.accounts import Accounts
from tests.conftest import make_config
from tests.helpers import free_port
from tests.helpers.slapd import GROUPS, PEOPLE, READER_DN, READER_PASSWORD, Directory, slapd

pytestmark = pytest.mark.ldap

PEOPLE_PASSWORDS = {
    "alice": "alice's long password",
    "bob": "bob's long password",
    "carol": "carol's long password",
    "dave": "dave's long password",
}
GROUP_MEMBERS = {
    "PACS Admins": ["alice"],
    "Testers": ["bob", "alice"],
    "Radiology": ["carol", "bob"],
    "Canteen": ["dave"],
}


@pytest.fixture(scope="module")
def directory(tmp_path_factory) -> Iterator[Directory]:
    with slapd(tmp_path_factory.mktemp("ldap"), PEOPLE_PASSWORDS, GROUP_MEMBERS) as server:
        yield server


def ldap_settings(directory: Directory, tmp_path, **more: object) -> dict[str, object]:
    """Active Directory's way: a service account searches, memberOf lists the groups."""
    password_file = tmp_path / "reader-password"
    password_file.write_text(READER_PASSWORD + "\n")
    return {
        "ldap__url": directory.url,
        "ldap__bind_dn": READER_DN,
        "ldap__bind_password_file": password_file,
        "ldap__user_base": PEOPLE,
        "ldap__user_filter": "(&(objectClass=inetOrgPerson)(uid={name}))",
        "ldap__admin_groups": "PACS Admins",  # a group's name
        "ldap__test_write_groups": Directory.group("Testers").upper(),  # a DN, any case
        "ldap__viewer_groups": f"cn=Nobody,{GROUPS}; {Directory.group('Radiology')}",
        **more,
    }


@pytest.fixture
async def web(aiohttp_client, directory, tmp_path):
    with Emulator(make_config(tmp_path / "data", **ldap_settings(directory, tmp_path))) as emu:
        client = await aiohttp_client(make_app(emu))
        client.emulator = emu
        yield client


async def login(web, name: str, password: str | None = None):
    password = PEOPLE_PASSWORDS.get(name, "x" * 12) if password is None else password
    return await web.post("/api/login", json={"name": name, "password": password})


async def test_each_directory_user_gets_the_highest_role_of_its_groups(web):
    expected = {"alice": "admin", "bob": "test_write", "carol": "viewer"}
    for name, role in expected.items():
        response = await login(web, name)
        assert response.status == 200, await response.text()
        body = await response.json()
        assert (body["name"], body["role"], body["source"]) == (name, role, "ldap")


async def test_the_server_enforces_a_directory_users_role(web):
    csrf = (await (await login(web, "carol")).json())["csrf_token"]
    assert (await web.get("/api/studies")).status == 200
    refused = await web.post("/api/reset", headers={"X-CSRF-Token": csrf})
    assert refused.status == 403
    assert "needs test_write" in (await refused.json())["detail"]

    csrf = (await (await login(web, "bob")).json())["csrf_token"]
    assert (await web.post("/api/reset", headers={"X-CSRF-Token": csrf})).status == 200
    assert (await web.get("/api/users")).status == 403  # accounts are an admin's

    csrf = (await (await login(web, "alice")).json())["csrf_token"]
    assert (await web.get("/api/users")).status == 200


async def test_with_a_directory_every_route_needs_a_login_even_on_loopback(web):
    response = await web.get("/api/health")
    assert response.status == 401
    assert "POST /api/login" in (await response.json())["detail"]


async def test_a_wrong_password_an_unknown_name_and_an_empty_password_all_fail_alike(web):
    answers = [
        await login(web, "alice", "not alice's password"),
        await login(web, "mallory", "whatever it is"),
        await login(web, "alice", ""),  # an unauthenticated bind, which LDAP would accept
    ]
    assert [a.status for a in answers] == [401, 401, 401]
    details = {(await a.json())["detail"] for a in answers}
    assert details == {"wrong name or password"}
    assert (await web.get("/api/session")).status == 401


@pytest.mark.parametrize("name", ["*", "alice)(uid=*", "*)(|(uid=*", "al*", "alice\\2a"])
async def test_a_name_that_is_an_ldap_filter_logs_no_one_in(web, name):
    response = await login(web, name, PEOPLE_PASSWORDS["alice"])
    assert response.status == 401


async def test_a_user_in_no_mapped_group_is_told_to_ask_for_a_role(web):
    response = await login(web, "dave")
    assert response.status == 403
    detail = (await response.json())["detail"]
    assert "dave has no role here" in detail
    assert "ldap.viewer_groups" in detail


async def test_a_local_user_of_the_same_name_is_checked_locally(web):
    Accounts(web.emulator.index.database).add("carol", "admin", "carol's local password")
    assert (await login(web, "carol")).status == 401  # the directory's password
    response = await login(web, "carol", "carol's local password")
    assert (await response.json())["source"] == "local"


async def test_groups_found_by_searching_them_as_the_user_logging_in(
    aiohttp_client, directory, tmp_path
):
    """OpenLDAP's way: no service account (the user's own bind searches) and no memberOf: the
    groups whose member is the user."""
    settings = ldap_settings(
        directory,
        tmp_path,
        ldap__bind_dn=f"uid={{name}},{PEOPLE}",
        ldap__bind_password_file=None,
        ldap__group_attribute="",
        ldap__group_base=GROUPS,
    )
    with Emulator(make_config(tmp_path / "data", **settings)) as emu:
        web = await aiohttp_client(make_app(emu))
        assert (await (await login(web, "alice")).json())["role"] == "admin"
        assert (await (await login(web, "carol")).json())["role"] == "viewer"
        assert (await login(web, "carol", "not carol's password")).status == 401


async def test_a_directory_that_is_down_answers_503_and_local_users_still_log_in(
    aiohttp_client, directory, tmp_path
):
    settings = ldap_settings(directory, tmp_path, ldap__url=f"ldap://127.0.0.1:{free_port()}")
    with Emulator(make_config(tmp_path / "data", **settings)) as emu:
        Accounts(emu.index.database).add("root", "admin", "a local password")
        web = await aiohttp_client(make_app(emu))
        down = await login(web, "alice")
        assert down.status == 503
        assert "Retry-After" in down.headers
        assert "local users and bearer tokens still work" in (await down.json())["detail"]
        assert (await login(web, "root", "a local password")).status == 200


async def test_a_service_account_the_directory_refuses_is_a_503_that_says_which(
    aiohttp_client, directory, tmp_path
):
    (tmp_path / "wrong").write_text("not the reader's password")
    settings = ldap_settings(directory, tmp_path, ldap__bind_password_file=tmp_path / "wrong")
    with Emulator(make_config(tmp_path / "data", **settings)) as emu:
        web = await aiohttp_client(make_app(emu))
        response = await login(web, "alice")
        assert response.status == 503
        assert READER_DN in (await response.json())["detail"]


def test_a_directory_without_a_user_base_or_groups_is_refused_at_start(tmp_path):
    with pytest.raises(ConfigError) as refused:
        make_config(tmp_path, ldap__url="ldap://127.0.0.1:389")
    problems = "\n".join(refused.value.problems)
    assert "ldap.user_base" in problems
    assert "map directory groups to roles" in problems
    with pytest.raises(ConfigError) as refused:
        make_config(
            tmp_path, ldap__url="http://dc1", ldap__user_base="dc=x", ldap__viewer_groups="g"
        )
    assert "not an ldap:// or ldaps:// URL" in "\n".join(refused.value.problems)
