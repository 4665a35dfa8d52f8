"""The console's working pages in a real browser: instances dropped, downloaded and deleted;
journal records filtered and opened; worklist items added from a form and from an HL7 order;
remote AEs added, edited and removed; and a viewer who is not offered what it cannot do."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from pydicom import Dataset, dcmread
from pydicom.data import get_testdata_file
from pynetdicom.sop_class import Verification

from emulator import Emulator
from emulator.services.accounts import Accounts
from storage.fabrication_spec import FabricationSpec
from tests.conftest import make_config
from tests.helpers import associate, find, make_dataset, part10, wait_until
from tests.helpers.browser import expect, log_in, shot
from tests.helpers.hl7 import orm
from tests.helpers.worklist import mwl

pytestmark = pytest.mark.browser

CT_SMALL = Path(get_testdata_file("CT_small.dcm"))  # a real-world file of pydicom's
PASSWORD = "correct horse battery"


@pytest.fixture
def emulator(tmp_path):
    with Emulator(make_config(tmp_path / "data")) as emu:
        yield emu


def console(browser, emulator):
    page = browser.new_page(accept_downloads=True)
    page.goto(emulator.admin_url + "/")
    expect(page.locator("#tabs")).to_be_visible()
    return page


def drop(page, selector: str, name: str, data: bytes) -> None:
    """Drop a file on *selector* as a user dragging it from the desktop does."""
    transfer = page.evaluate_handle(
        """([name, b64]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type: "application/dicom"}));
            return transfer;
        }""",
        [name, base64.b64encode(data).decode()],
    )
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def test_a_dropped_file_is_stored_downloaded_as_it_was_and_deleted(browser, emulator):
    original = CT_SMALL.read_bytes()
    uid = dcmread(CT_SMALL).SOPInstanceUID
    page = console(browser, emulator)
    drop(page, "#upload", "CT_small.dcm", original)
    expect(page.locator("#study-status")).to_have_text("stored 1 of 1")
    tile = page.locator(f"#study figure[data-instance='{uid}']")
    expect(tile).to_have_count(1)
    expect(page.locator("#study-rows tr")).to_contain_text("CompressedSamples^CT1")
    shot(page, "study-uploaded")

    with page.expect_download() as download:
        tile.locator("a.download").click()
    assert Path(download.value.path()).read_bytes() == original

    tile.locator("button").click()  # delete
    expect(page.locator("#study-status")).to_have_text(f"deleted {uid}")
    expect(page.locator("#study-rows tr")).to_have_count(0)
    assert not emulator.archive.has_instance(uid)
    page.close()


def test_a_file_that_is_not_dicom_is_refused_with_the_reason(browser, emulator):
    page = console(browser, emulator)
    drop(page, "#upload", "notes.txt", b"not a DICOM file at all")
    expect(page.locator("#study-status")).to_contain_text("stored 0 of 1; notes.txt: ")
    assert emulator.index.counts()["instances"] == 0
    page.close()


def test_a_journal_record_opens_with_its_identifier_and_its_associations_contexts(
    browser, emulator
):
    page = console(browser, emulator)
    page.click("#tabs button[data-tab=journal]")
    expect(page.locator("#journal-state")).to_have_text("live")
    assoc = associate(emulator.dicom_port, Verification)
    assert assoc.send_c_echo().Status == 0
    assoc.release()
    identifier = Dataset()
    identifier.QueryRetrieveLevel = "STUDY"
    identifier.PatientName = "NOBODY^HERE"
    identifier.StudyInstanceUID = ""
    assert find(emulator.dicom_port, identifier)[0] == []
    expect(page.locator("#journal-rows tr[data-service=C-FIND]")).to_have_count(1)
    page.fill("#journal-filters input[name=service]", "C-ECHO")
    page.click("#journal-filters button[type=submit]")
    expect(page.locator("#journal-rows tr")).to_have_count(1)
    expect(page.locator("#journal-count")).to_have_text("1 records")

    page.fill("#journal-filters input[name=service]", "C-FIND")
    page.click("#journal-filters button[type=submit]")
    page.locator("#journal-rows tr[data-service=C-FIND]").click()
    expect(page.locator("#journal-identifier")).to_contain_text("(0010,0010)PNNOBODY^HERE")
    expect(page.locator("#journal-facts")).to_contain_text("status0x0000")
    expect(page.locator("#journal-contexts")).to_contain_text("1.2.840.10008.5.1.4.1.2.2.1")
    shot(page, "journal-record")

    page.select_option("#journal-filters select[name=kind]", "association")
    expect(page.locator("#journal-rows tr")).to_have_count(2)
    expect(page.locator("#journal-rows")).to_contain_text("released")
    page.close()


def test_the_journal_keeps_every_record_of_a_burst(browser, emulator):
    """1,000 C-ECHOs as fast as four associations send them: every one arrives in the page
    (the table keeps the newest 500), which still answers."""
    page = console(browser, emulator)
    page.click("#tabs button[data-tab=journal]")
    associations = [associate(emulator.dicom_port, Verification) for _ in range(4)]
    for n in range(1000):
        assert associations[n % 4].send_c_echo().Status == 0
    for assoc in associations:
        assoc.release()
    expect(page.locator("#journal-count")).to_have_text("1000 records", timeout=20000)
    expect(page.locator("#journal-rows tr")).to_have_count(500)
    assert page.evaluate("1 + 1") == 2
    page.close()


def test_records_reach_the_table_where_the_page_gets_no_animation_frames(browser, emulator):
    """A console in a hidden tab gets no animation frames: the rows are drawn all the same
    (and the count with them), so the journal is current when the tab comes back."""
    page = browser.new_page()
    page.add_init_script("window.requestAnimationFrame = () => 1;")
    page.goto(emulator.admin_url + "/")
    page.click("#tabs button[data-tab=journal]")
    expect(page.locator("#journal-state")).to_have_text("live")
    assoc = associate(emulator.dicom_port, Verification)
    for _ in range(3):
        assert assoc.send_c_echo().Status == 0
    assoc.release()
    expect(page.locator("#journal-rows tr[data-service=C-ECHO]")).to_have_count(3)
    expect(page.locator("#journal-count")).to_have_text("3 records")
    page.close()


def test_worklist_items_are_added_from_the_form_and_from_an_hl7_order(browser, emulator):
    page = console(browser, emulator)
    page.click("#tabs button[data-tab=workflow]")
    form = page.locator("#worklist-form")
    form.locator("input[name=patient_name]").fill("DOE^JANE")
    form.locator("input[name=patient_id]").fill("PID-7")
    form.locator("input[name=accession_number]").fill("ACC-FORM")
    form.locator("input[name=modality]").fill("MR")
    form.locator("input[name=station]").fill("MR01")
    form.locator("input[name=start]").fill("2026-12-02T09:30")
    form.locator("input[name=procedure]").fill("MR Knee")
    form.locator("button[type=submit]").click()
    expect(page.locator("#worklist-status")).to_have_text("added")
    expect(page.locator("#worklist-rows")).to_contain_text("DOE^JANE")
    responses, status = mwl(emulator, {"Modality": "MR"}, AccessionNumber="ACC-FORM")
    assert status.Status == 0
    [found] = responses
    assert str(found.PatientName) == "DOE^JANE"
    step = found.ScheduledProcedureStepSequence[0]
    assert (step.ScheduledStationAETitle, step.ScheduledProcedureStepStartDate) == (
        "MR01",
        "20261202",
    )

    page.click("#worklist-form ~ details summary")
    page.fill("#hl7-text", orm(accession="ACC-HL7").replace("\r", "\n"))
    page.click("#hl7-form button[type=submit]")
    expect(page.locator("#hl7-status")).to_have_text("accepted (AA)")
    expect(page.locator("#worklist-rows")).to_contain_text("ACC-HL7")
    shot(page, "workflow-added")
    page.close()


def test_an_admin_adds_edits_and_removes_a_remote_ae(browser, emulator):
    page = console(browser, emulator)
    page.click("#tabs button[data-tab=system]")
    expect(page.locator("#config-rows")).to_contain_text("dicom.ae_title")
    form = page.locator("#remote-form")
    for name, text in (("name", "viewer"), ("ae_title", "VIEWER"), ("host", "127.0.0.1")):
        form.locator(f"input[name={name}]").fill(text)
    form.locator("input[name=port]").fill("11113")
    form.locator("button[type=submit]").click()
    expect(page.locator("#remote-rows tr[data-remote=viewer]")).to_contain_text("11113")

    page.locator("#remote-rows tr[data-remote=viewer] button", has_text="edit").click()
    form.locator("input[name=port]").fill("11114")
    form.locator("button[type=submit]").click()
    expect(page.locator("#remote-rows tr[data-remote=viewer]")).to_contain_text("11114")
    assert [(r.name, r.port) for r in emulator.remote_aes.all()] == [("viewer", 11114)]

    form.locator("input[name=name]").fill("bad")
    form.locator("input[name=ae_title]").fill("FAR TOO LONG FOR AN AE TITLE")
    form.locator("input[name=host]").fill("127.0.0.1")
    form.locator("input[name=port]").fill("104")
    form.locator("button[type=submit]").click()
    expect(page.locator("#remote-status")).to_contain_text("ae_title")
    shot(page, "system-remote-aes")

    page.locator("#remote-rows tr[data-remote=viewer] button", has_text="remove").click()
    expect(page.locator("#remote-rows tr")).to_have_count(0)
    page.close()


def test_a_viewer_is_not_offered_what_only_other_roles_may_do(browser, emulator):
    Accounts(emulator.index.database).add("vera", "viewer", PASSWORD)
    emulator.archive.import_instance(part10(make_dataset()))
    page = log_in(browser, emulator.admin_url, "vera", PASSWORD)
    page.locator("#study-rows tr").first.click()
    expect(page.locator("#study figure")).to_have_count(1)
    for hidden in ("#upload", "#study figure button", "#study > button"):
        expect(page.locator(hidden)).to_be_hidden()
    page.click("#tabs button[data-tab=workflow]")
    expect(page.locator("#worklist-form")).to_be_hidden()
    page.click("#tabs button[data-tab=system]")
    expect(page.locator("#reset-form")).to_be_hidden()
    expect(page.locator("#remote-form")).to_be_hidden()
    page.close()


def test_a_test_writer_changes_test_data_but_not_remote_aes_or_users(browser, emulator):
    Accounts(emulator.index.database).add("tess", "test_write", PASSWORD)
    page = log_in(browser, emulator.admin_url, "tess", PASSWORD)
    expect(page.locator("#who")).to_have_text("tess (test_write)")
    expect(page.locator("#upload")).to_be_visible()
    expect(page.locator("#tabs button[data-tab=users]")).to_be_hidden()
    drop(page, "#upload", "CT_small.dcm", CT_SMALL.read_bytes())
    expect(page.locator("#study-status")).to_have_text("stored 1 of 1")
    page.click("#tabs button[data-tab=system]")
    expect(page.locator("#reset-form")).to_be_visible()
    expect(page.locator("#remote-form")).to_be_hidden()
    # and the server says no, whatever the page shows
    status = page.evaluate(
        """async () => {
            const me = await (await fetch("/api/session")).json();
            const answer = await fetch("/api/remote-aes/x", {method: "PUT",
                headers: {"Content-Type": "application/json", "X-CSRF-Token": me.csrf_token},
                body: JSON.stringify({ae_title: "X", host: "127.0.0.1", port: 104})});
            return answer.status;
        }"""
    )
    assert status == 403
    page.close()


def test_a_hostile_name_in_a_query_stays_text_in_the_journal_record(browser, emulator):
    hostile = "<script>alert(1)</script><b>BOLD</b>"  # no "=": a PN's group separator
    page = console(browser, emulator)
    page.click("#tabs button[data-tab=journal]")
    identifier = Dataset()
    identifier.QueryRetrieveLevel = "STUDY"
    identifier.PatientName = hostile
    identifier.StudyInstanceUID = ""
    find(emulator.dicom_port, identifier)
    page.locator("#journal-rows tr[data-service=C-FIND]").click()
    expect(page.locator("#journal-identifier")).to_contain_text(hostile)
    assert page.locator("#journal-detail script, #journal-detail b").count() == 0
    page.close()


def test_a_study_with_reports_shows_them_as_documents_and_its_images_as_thumbnails(
    browser, emulator
):
    spec = FabricationSpec(
        seed=8, patients=1, series_per_study=1, instances_per_series=2, matrix=32,
        modalities=("CT", "SR", "KO", "SEG", "DOC", "ECG"), anchor=dt.date(2026, 3, 1),
    )  # fmt: skip
    emulator.archive.fabricate(spec)
    page = console(browser, emulator)
    page.locator("#study-rows tr").first.click()
    expect(page.locator("#study .document")).to_have_count(4)  # SR, KO, DOC and ECG
    thumbnails = page.locator("#study img")
    expect(thumbnails).to_have_count(3)  # two CT slices and the segmentation's first frame
    loaded = "images => images.every(i => i.complete && i.naturalWidth > 0)"
    assert wait_until(lambda: thumbnails.evaluate_all(loaded), timeout=15)
    shot(page, "study-with-objects")
    page.close()
