"""The character-sets profile in a running archive: each patient named in its own script and
character set, found by C-FIND from a client that speaks UTF-8, and answered in the
instance's own Specific Character Set, as a PACS answers."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.fabrication_spec import FabricationSpec
from tests.helpers import find, query

JAPANESE = (["", "ISO 2022 IR 87"], "胸部ＣＴ検査")
TANAKA = "Tanaka^Ichirou=田中^一郎=たなか^いちろう"
SPEC = FabricationSpec(
    seed=3,
    patients=9,
    profile="character-sets",
    series_per_study=1,
    instances_per_series=1,
    modalities=("CT", "SR"),
    matrix=32,
    anchor=dt.date(2026, 1, 1),
)


@pytest.fixture
def fabricated(emulator):
    emulator.archive.fabricate(SPEC)
    return emulator


@pytest.mark.parametrize(
    ("key", "name", "charset", "description"),
    [
        ("Петрова*", "Петрова^Мария", "ISO_IR 144", "КТ грудной клетки"),
        ("петрова*", "Петрова^Мария", "ISO_IR 144", "КТ грудной клетки"),  # any case
        ("Tanaka*", TANAKA, *JAPANESE),
        ("*=田中^一郎=*", TANAKA, *JAPANESE),  # component groups: every group matched
        ("KIM^MINJUN*", "Kim^Minjun=金^敏俊=김^민준", ["", "ISO 2022 IR 149"], "흉부 CT 검사"),
        ("*=*=김^민준", "Kim^Minjun=金^敏俊=김^민준", ["", "ISO 2022 IR 149"], "흉부 CT 검사"),
        ("Li^Hua", "Li^Hua=李^华", "GB18030", "胸部CT检查"),
        ("Παπαδημητρίου*", "Παπαδημητρίου^Διονύσιος", "ISO_IR 126", "Αξονική τομογραφία θώρακος"),
        ("قباني*", "قباني^لنزار", "ISO_IR 127", "تصوير مقطعي للصدر"),
        ("שרון*", "שרון^דבורה", "ISO_IR 138", "טומוגרפיה של החזה"),
        ("østergård*", "ØSTERGÅRD^SØREN", "ISO_IR 100", "Tomodensitométrie thoracique"),
    ],
)  # fmt: skip
def test_a_utf8_query_finds_each_name_and_gets_it_in_the_instances_own_charset(
    fabricated, key, name, charset, description
):
    identifier = query("STUDY", PatientName=key, StudyDescription="")
    identifier.SpecificCharacterSet = "ISO_IR 192"
    found, final = find(fabricated.dicom_port, identifier)
    assert final.Status == 0x0000
    [study] = found
    assert (str(study.PatientName), study.StudyDescription) == (name, description)
    assert study.SpecificCharacterSet == charset


def test_every_instance_is_encoded_in_its_declared_character_set():
    from pydicom import dcmread
    from pydicom.filebase import DicomBytesIO

    from storage.fabricate import fabricate

    for ds in fabricate(SPEC):
        buffer = DicomBytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        again = dcmread(DicomBytesIO(buffer.getvalue()))
        assert str(again.PatientName) == str(ds.PatientName)
        assert again.StudyDescription == ds.StudyDescription
        name = str(ds.PatientName)
        if ds.SpecificCharacterSet != "ISO_IR 192" and not name.isascii():
            assert name.encode() not in buffer.getvalue()  # the declared set's bytes, not UTF-8
