"""Modality Performed Procedure Step SCP (PS3.4 Annex F) over real associations."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset
from pynetdicom import AE, evt

from tests.helpers.mpps import MPPS, completed, create, in_progress, scheduled, set_
from tests.helpers.worklist import mwl

__all__ = ["scheduled"]  # fixtures from tests/helpers


@pytest.fixture
def assoc(scheduled):
    ae = AE(ae_title="CT01")
    ae.add_requested_context(MPPS)
    association = ae.associate("127.0.0.1", scheduled.dicom_port, ae_title=scheduled.ae_title)
    assert association.is_established
    yield association
    association.release()


def worklist_state(emulator) -> str:
    [row] = emulator.archive.worklist.items()
    return row.state


def test_n_create_in_progress_stores_the_step_and_moves_its_worklist_item(scheduled, assoc):
    status, _ = create(assoc, in_progress())
    assert status.Status == 0x0000
    step = scheduled.archive.procedure_steps.get("1.2.826.0.1.3680043.10.1089.78.1")
    assert (step.status, step.calling_ae) == ("IN PROGRESS", "CT01")
    assert worklist_state(scheduled) == "IN PROGRESS"
    [record] = scheduled.journal.messages(service="N-CREATE")
    assert record.status == 0x0000


def test_n_create_without_an_instance_uid_gets_one_in_the_response(scheduled):
    commands = []
    ae = AE(ae_title="CT01")
    ae.add_requested_context(MPPS)
    handlers = [(evt.EVT_DIMSE_RECV, lambda event: commands.append(event.message.command_set))]
    association = ae.associate(
        "127.0.0.1", scheduled.dicom_port, ae_title=scheduled.ae_title, evt_handlers=handlers
    )
    try:
        status, _ = association.send_n_create(in_progress(), MPPS, None)
    finally:
        association.release()
    assert status.Status == 0x0000
    [response] = [c for c in commands if c.CommandField == 0x8140]  # N-CREATE-RSP
    uid = str(response.AffectedSOPInstanceUID)
    assert uid.startswith("2.25.")
    assert scheduled.archive.procedure_steps.get(uid).status == "IN PROGRESS"


def test_n_create_twice_with_one_uid_is_0111(scheduled, assoc):
    create(assoc, in_progress())
    status, _ = create(assoc, in_progress())
    assert status.Status == 0x0111  # Duplicate SOP Instance


@pytest.mark.parametrize(
    ("changes", "code", "named"),
    [
        ({"PerformedProcedureStepStatus": "COMPLETED"}, 0x0106, "IN PROGRESS"),
        ({"PerformedProcedureStepID": ""}, 0x0120, "PerformedProcedureStepID"),
    ],
)
def test_n_create_other_than_in_progress_or_incomplete_is_refused(
    scheduled, assoc, changes, code, named
):
    status, _ = create(assoc, in_progress(**changes))
    assert status.Status == code
    assert named in status.ErrorComment
    assert scheduled.archive.procedure_steps.count() == 0
    assert worklist_state(scheduled) == "SCHEDULED"


def test_n_set_of_an_unknown_step_is_0112(assoc):
    status, _ = set_(assoc, completed(), uid="1.2.3.4")
    assert status.Status == 0x0112  # No such object instance


def test_n_set_updates_a_step_in_progress(scheduled, assoc):
    create(assoc, in_progress())
    change = Dataset()
    change.PerformedProcedureStepDescription = "CT CHEST, REPEATED"
    status, _ = set_(assoc, change)
    assert status.Status == 0x0000
    step = scheduled.archive.procedure_steps.get("1.2.826.0.1.3680043.10.1089.78.1")
    assert step.attributes.PerformedProcedureStepDescription == "CT CHEST, REPEATED"
    assert step.attributes.PerformedProcedureStepID == "PPS1"  # the rest kept
    assert step.status == "IN PROGRESS"


def test_n_set_completed_ends_the_step_and_its_worklist_item_drops_out(scheduled, assoc):
    create(assoc, in_progress())
    status, _ = set_(assoc, completed())
    assert status.Status == 0x0000
    assert (
        scheduled.archive.procedure_steps.get("1.2.826.0.1.3680043.10.1089.78.1").status
        == "COMPLETED"
    )
    assert worklist_state(scheduled) == "COMPLETED"
    results, _ = mwl(scheduled, {"ScheduledStationAETitle": "CT01"})
    assert results == []


def test_n_set_discontinued_ends_the_step_too(scheduled, assoc):
    create(assoc, in_progress())
    status, _ = set_(assoc, completed("DISCONTINUED", series=False))
    assert status.Status == 0x0000
    assert worklist_state(scheduled) == "DISCONTINUED"


def test_completed_without_performed_series_is_0110_and_the_step_stays_in_progress(
    scheduled, assoc
):
    create(assoc, in_progress())
    status, _ = set_(assoc, completed(series=False))
    assert status.Status == 0x0110
    assert "PerformedSeriesSequence" in status.ErrorComment
    assert scheduled.archive.procedure_steps.get("1.2.826.0.1.3680043.10.1089.78.1").status == (
        "IN PROGRESS"
    )


def test_a_final_state_needs_its_end_date_and_time(assoc):
    create(assoc, in_progress())
    ending = completed()
    del ending.PerformedProcedureStepEndTime
    status, _ = set_(assoc, ending)
    assert status.Status == 0x0110
    assert "PerformedProcedureStepEndTime" in status.ErrorComment


def test_a_step_completed_may_no_longer_be_updated(assoc):
    create(assoc, in_progress())
    set_(assoc, completed())
    again = Dataset()
    again.PerformedProcedureStepDescription = "too late"
    status, _ = set_(assoc, again)
    assert status.Status == 0x0110
    assert "may no longer be updated" in status.ErrorComment


@pytest.mark.parametrize(
    ("keyword", "value"),
    [("PerformedProcedureStepStatus", "PAUSED"), ("Modality", "MR")],
)
def test_n_set_of_an_unknown_status_or_a_fixed_attribute_is_0106(assoc, keyword, value):
    create(assoc, in_progress())
    change = Dataset()
    setattr(change, keyword, value)
    status, _ = set_(assoc, change)
    assert status.Status == 0x0106
    assert keyword in status.ErrorComment or "PAUSED" in status.ErrorComment


def test_n_set_resending_a_fixed_attribute_unchanged_is_accepted(assoc):
    create(assoc, in_progress())
    change = Dataset()
    change.Modality = "CT"
    change.PerformedProcedureStepID = "PPS1"
    status, _ = set_(assoc, change)
    assert status.Status == 0x0000


def test_the_admin_api_lists_and_shows_steps(scheduled, assoc):
    import json
    import urllib.error
    import urllib.request

    create(assoc, in_progress())
    set_(assoc, completed())
    with urllib.request.urlopen(scheduled.admin_url + "/api/mpps", timeout=5) as response:
        listing = json.load(response)
    [summary] = listing["steps"]
    assert (summary["sop_instance_uid"], summary["status"]) == (
        "1.2.826.0.1.3680043.10.1089.78.1",
        "COMPLETED",
    )
    assert summary["attributes"]["00400253"]["Value"] == ["PPS1"]  # Performed Procedure Step ID
    with urllib.request.urlopen(
        scheduled.admin_url + "/api/mpps/1.2.826.0.1.3680043.10.1089.78.1", timeout=5
    ) as response:
        assert json.load(response)["calling_ae"] == "CT01"
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(scheduled.admin_url + "/api/mpps/1.2.3", timeout=5)
    assert missing.value.code == 404
    assert json.load(missing.value)["detail"] == "no performed procedure step 1.2.3"


def test_the_worklist_shows_and_matches_the_step_status_the_mpps_set(scheduled, assoc):
    create(assoc, in_progress())
    results, _ = mwl(scheduled, {"ScheduledProcedureStepStatus": "IN PROGRESS"})
    [result] = results
    assert result.ScheduledProcedureStepSequence[0].ScheduledProcedureStepStatus == "IN PROGRESS"
    assert mwl(scheduled, {"ScheduledProcedureStepStatus": "SCHEDULED"})[0] == []
