"""A directory user at the console, in a real browser: the login form checks the password
against a real directory server (slapd) and the page shows the role its groups give."""

from __future__ import annotations

import pytest

from emulator import Emulator
from tests.conftest import make_config
from tests.helpers.browser import expect, shot
from tests.helpers.slapd import PEOPLE, slapd

pytestmark = [pytest.mark.browser, pytest.mark.ldap]


def test_a_directory_user_logs_in_at_the_console_with_the_role_of_its_group(browser, tmp_path):
    people = {"tess": "tess's long password"}
    with slapd(tmp_path, people, {"Modality Testers": ["tess"]}) as directory:
        settings = {
            "ldap__url": directory.url,
            "ldap__user_base": PEOPLE,
            "ldap__user_filter": "(uid={name})",
            "ldap__test_write_groups": "Modality Testers",
        }
        with Emulator(make_config(tmp_path / "data", **settings)) as emulator:
            page = browser.new_page()
            page.goto(emulator.admin_url + "/")
            page.fill("#login input[name=name]", "tess")
            page.fill("#login input[name=password]", "not tess's password")
            page.click("#login button[type=submit]")
            expect(page.locator("#login-error")).to_have_text("wrong name or password")
            page.fill("#login input[name=password]", people["tess"])
            page.click("#login button[type=submit]")
            expect(page.locator("#who")).to_have_text("tess (test_write, directory)")
            shot(page, "login-directory")
            assert page.locator("#tabs button[data-tab=users]").is_hidden()
            page.close()
