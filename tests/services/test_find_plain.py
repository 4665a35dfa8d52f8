"""C-FIND answers built as raw elements (the usual case: every key from the index, in plain
ASCII) must be the answers the general path builds: the same values once read, and the same
bytes on the wire in both little-endian syntaxes, for patients, studies, series and images,
with files the emulator did not make among them."""

from __future__ import annotations

import pytest
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom.dsutils import encode as pydicom_way

from emulator.dicom import identifiers
from storage import Model, parse_find, responses
from tests.helpers import PYDICOM_DATA, make_dataset, part10, query

QUERIES = [
    query("PATIENT", PatientName="", PatientID="", PatientBirthDate="", PatientSex="",
          NumberOfPatientRelatedStudies=""),
    query("STUDY", StudyInstanceUID="", PatientName="S*", PatientID="", StudyDate="",
          StudyTime="", AccessionNumber="", ModalitiesInStudy="", StudyDescription="",
          NumberOfStudyRelatedInstances="", ReferringPhysicianName="", SeriesInstanceUID=""),
    query("SERIES", StudyInstanceUID="", SeriesInstanceUID="", Modality="", SeriesNumber="",
          NumberOfSeriesRelatedInstances="", SOPInstanceUID=""),
    query("IMAGE", StudyInstanceUID="", SeriesInstanceUID="", SOPInstanceUID="",
          SOPClassUID="", InstanceNumber=""),
    query("STUDY", StudyInstanceUID="", PatientName="", SpecificCharacterSet="ISO_IR 100"),
]  # fmt: skip


@pytest.fixture
def archive(emulator):
    for n in range(1, 4):
        modality = "MR" if n == 2 else "CT"
        ds = make_dataset(patient=(f"SMITH^ANNA^{n}", f"PID{n}"), study=n, instance=n,
                          modality=modality, StudyDescription="HEAD" * n)  # fmt: skip
        emulator.archive.import_instance(part10(ds))
    for name in ("CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "chrGerm.dcm"):
        path = next(PYDICOM_DATA.rglob(name))
        emulator.archive.import_instance(path.read_bytes())
    return emulator


@pytest.mark.parametrize("identifier", QUERIES, ids=lambda q: q.QueryRetrieveLevel)
@pytest.mark.parametrize("syntax", [ImplicitVRLittleEndian, ExplicitVRLittleEndian])
def test_a_plain_answer_is_the_general_answer_value_for_value_and_byte_for_byte(
    archive, identifier, syntax, monkeypatch
):
    ctx = archive.archive.ctx
    model = Model.PATIENT_ROOT if identifier.QueryRetrieveLevel == "PATIENT" else Model.STUDY_ROOT
    request = parse_find(identifier, model, relational=True)  # any level's keys, unique or not
    rows = list(ctx.index.iter_rows(request.query))
    assert rows
    plain = [responses._plain_response(row, request, "FABRICATOR") for row in rows]
    monkeypatch.setattr(responses, "_plain_response", lambda *args: None)
    general = [responses.build_response(row, request, "FABRICATOR", lambda pk: None, True)
               for row in rows]  # fmt: skip
    taken = [(p, g) for p, g in zip(plain, general, strict=True) if p is not None]
    assert len(taken) >= len(rows) - 1  # all but a non-ASCII patient's answers go plain
    uid = UID(syntax)
    for ours, theirs in taken:
        expected = pydicom_way(theirs, uid.is_implicit_VR, True)
        assert identifiers.encode(ours, uid) == expected
        assert pydicom_way(ours, uid.is_implicit_VR, True) == expected  # pydicom's own way
        assert ours.to_json_dict() == theirs.to_json_dict()  # read back (QIDO-RS): the same
