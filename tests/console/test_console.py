"""The web console in a real browser (headless Debian Chromium, driven by Playwright): studies
and their thumbnails, the live journal, logins and roles, and a hostile patient name that stays
a name. Each page is kept as a screenshot under test-artifacts/console/."""

from __future__ import annotations

import datetime as dt

import pytest
from pydicom.uid import ExplicitVRLittleEndian

from emulator import Emulator
from emulator.services.accounts import Accounts
from storage.fabrication_spec import FabricationSpec
from tests.conftest import make_config
from tests.helpers import associate, dcmtk, make_dataset, part10, wait_until
from tests.helpers.browser import expect, log_in, shot

pytestmark = pytest.mark.browser

SPEC = FabricationSpec(
    seed=4,
    patients=2,
    studies_per_patient=1,
    series_per_study=1,
    instances_per_series=2,
    modalities=("CT",),
    matrix=32,
    anchor=dt.date(2026, 3, 1),
    transfer_syntaxes=(ExplicitVRLittleEndian,),
)
PASSWORD = "correct horse battery"


@pytest.fixture
def emulator(tmp_path):
    with Emulator(make_config(tmp_path / "data")) as emu:
        emu.archive.fabricate(SPEC)
        yield emu


def opened(browser, emulator):
    """A new page on the console, once the studies are listed (no login needed)."""
    page = browser.new_page()
    page.goto(emulator.admin_url + "/")
    page.wait_for_selector("#study-rows tr")
    return page


def test_the_studies_page_lists_the_archive_and_a_study_shows_its_thumbnails(browser, emulator):
    page = opened(browser, emulator)
    assert page.locator("#study-rows tr").count() == 2
    assert "no login needed" in page.inner_text("#who")
    shot(page, "studies")
    page.locator("#study-rows tr").first.click()
    thumbnails = page.locator("#study img")
    expect(thumbnails).to_have_count(2)
    loaded = "images => images.every(i => i.complete && i.naturalWidth > 0)"
    assert wait_until(lambda: thumbnails.evaluate_all(loaded), timeout=15)
    shot(page, "study")
    page.close()


def test_a_c_store_appears_live_in_the_journal(browser, emulator):
    page = opened(browser, emulator)
    page.click("#tabs button[data-tab=journal]")
    from pynetdicom.sop_class import CTImageStorage

    assoc = associate(emulator.dicom_port, CTImageStorage)
    assert assoc.send_c_store(make_dataset()).Status == 0x0000
    assoc.release()
    page.wait_for_selector("#journal-rows tr[data-service=C-STORE]")
    assert "0x0000" in page.inner_text("#journal-rows tr[data-service=C-STORE]")
    shot(page, "journal")
    page.close()


def test_a_hostile_patient_name_is_shown_as_text_and_runs_nothing(browser, emulator):
    hostile = "<img src=x onerror=window.pwned=1>^<script>window.pwned=2</script>"
    emulator.archive.import_instance(part10(make_dataset(patient=(hostile, "EVIL1"))))
    page = browser.new_page()
    page.goto(emulator.admin_url + "/")
    page.wait_for_selector("#study-rows tr[data-uid]")
    expect(page.locator("#study-rows tr")).to_have_count(3)
    assert hostile.split("^")[0] in page.inner_text("#study-rows")
    assert page.evaluate("window.pwned") is None
    assert page.locator("#study-rows img").count() == 0
    page.close()


def test_with_users_the_console_asks_for_a_login_and_enforces_the_role(browser, emulator):
    accounts = Accounts(emulator.index.database)
    accounts.add("vera", "viewer", PASSWORD)
    page = browser.new_page()
    page.goto(emulator.admin_url + "/")
    page.wait_for_selector("#login:not([hidden])")
    shot(page, "login")
    page.fill("#login input[name=name]", "vera")
    page.fill("#login input[name=password]", "not it")
    page.click("#login button[type=submit]")
    page.wait_for_selector("#login-error:has-text('wrong name or password')")
    page.fill("#login input[name=password]", PASSWORD)
    page.click("#login button[type=submit]")
    page.wait_for_selector("#study-rows tr")
    assert page.inner_text("#who") == "vera (viewer)"
    # the viewer's session may read but not reset, even from the console's own origin
    status = page.evaluate(
        "fetch('/api/reset', {method: 'POST', headers: {'X-CSRF-Token': 'x'}}).then(r => r.status)"
    )
    assert status == 403
    assert page.locator("#tabs button[data-tab=users]").is_hidden()  # not a viewer's page
    page.click("#logout")
    page.wait_for_selector("#login:not([hidden])")
    page.close()


def test_an_admin_manages_users_from_the_console(browser, emulator):
    Accounts(emulator.index.database).add("ada", "admin", PASSWORD)
    page = log_in(browser, emulator.admin_url, "ada", PASSWORD)
    page.click("#tabs button[data-tab=users]")
    page.fill("#user-form input[name=name]", "vic")
    page.select_option("#user-form select[name=role]", "test_write")
    page.fill("#user-form input[name=password]", "short")
    page.click("#user-form button[type=submit]")
    expect(page.locator("#user-error")).to_contain_text("8 to 1024")
    page.fill("#user-form input[name=password]", PASSWORD)
    page.click("#user-form button[type=submit]")
    expect(page.locator("#user-rows tr[data-user=vic]")).to_contain_text("test_write")
    shot(page, "users")
    page.locator("#user-rows tr[data-user=vic] button").click()
    expect(page.locator("#user-rows tr[data-user=vic]")).to_have_count(0)
    assert Accounts(emulator.index.database).users.get("vic") is None
    page.close()


@pytest.mark.interop
def test_the_scenario_editor_shows_a_problem_by_line_then_counts_a_rule_firing(browser, emulator):
    page = opened(browser, emulator)
    page.click("#tabs button[data-tab=scenario]")
    page.fill(
        "#scenario-text",
        "name: x\nrules:\n  - match: {phase: request}\n    action: {explode: {}}\n",
    )
    expect(page.locator("#scenario-problems li")).to_contain_text("line 4")
    shot(page, "scenario-problem")
    page.fill(
        "#scenario-text",
        "name: counted\nrules:\n  - id: echoes\n    match: {phase: request, service: C-ECHO}\n"
        "    action: {pass: {}}\n",
    )
    expect(page.locator("#scenario-problems li")).to_have_count(0)
    page.click("#scenario-activate")
    expect(page.locator("#rule-rows tr[data-rule=echoes]")).to_contain_text("0")
    for _ in range(2):
        result = dcmtk("echoscu", "-aec", emulator.ae_title, "127.0.0.1", str(emulator.dicom_port))
        assert result.returncode == 0, result.stderr
    expect(page.locator("#rule-rows tr[data-rule=echoes] td").nth(3)).to_have_text("2")
    shot(page, "scenario")
    page.locator("#rule-rows tr[data-rule=echoes] button").click()  # remove the rule
    expect(page.locator("#rule-rows tr[data-rule=echoes]")).to_have_count(0)
    assert emulator.scenario.summary()["rules"] == []
    page.close()


def test_fabrication_shows_its_progress_and_the_studies_appear(browser, emulator):
    page = opened(browser, emulator)
    page.click("#tabs button[data-tab=fabricate]")
    page.fill("#fabricate-form input[name=patients]", "40")
    page.fill("#fabricate-form input[name=seed]", "77")
    page.click("#fabricate-form button[type=submit]")
    expect(page.locator("#fabricate-status")).to_contain_text("done: ", timeout=30000)
    bar = page.locator("#fabricate-progress")
    assert bar.get_attribute("value") == bar.get_attribute("max") != "1"
    shot(page, "fabricate")
    page.click("#tabs button[data-tab=studies]")
    expect(page.locator("#study-rows tr")).to_have_count(42)
    page.close()


def test_the_workflow_and_system_pages_show_the_worklist_remote_aes_and_reset(browser, tmp_path):
    config = make_config(tmp_path / "data", remote_aes=["viewer=VIEWER@127.0.0.1:11113"])
    with Emulator(config) as emulator:
        emulator.archive.fabricate(SPEC, worklist=3)
        page = opened(browser, emulator)
        page.click("#tabs button[data-tab=workflow]")
        expect(page.locator("#worklist-rows tr")).to_have_count(3)
        expect(page.locator("#worklist-rows")).to_contain_text("SCHEDULED")
        shot(page, "workflow")
        page.click("#tabs button[data-tab=system]")
        expect(page.locator("#remote-rows tr")).to_contain_text("VIEWER")
        expect(page.locator("#health-rows")).to_contain_text("FABRICATOR")
        page.check("#reset-form input[value=worklist]")
        page.click("#reset-form button[type=submit]")
        expect(page.locator("#reset-status")).to_contain_text("4 instances removed")
        shot(page, "system")
        assert emulator.index.counts()["instances"] == 0
        assert len(emulator.archive.worklist.items()) == 3  # kept
        page.close()
