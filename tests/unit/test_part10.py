"""The direct File Meta Information encoder agrees with pydicom byte for byte."""

import pytest
from pydicom.dataset import FileMetaDataset
from pydicom.uid import UID
from pynetdicom.dsutils import encode_file_meta

from storage.part10 import PREAMBLE, file_meta


@pytest.mark.parametrize(
    ("sop_class", "sop_instance", "ts", "version", "ae"),
    [
        ("1.2.840.10008.5.1.4.1.1.2", "1.2.3.4", "1.2.840.10008.1.2.1", "FAB_010", "STORESCU"),
        ("1.2.840.10008.5.1.4.1.1.4", "1.2.3.45", "1.2.840.10008.1.2", "ODD", "ODDAE"),
        ("1.2.840.10008.5.1.4.1.1.7", "1.2.3", "1.2.840.10008.1.2.4.90", "V1", ""),
    ],
)
def test_file_meta_matches_pydicom_encoding(sop_class, sop_instance, ts, version, ae):
    meta = FileMetaDataset()
    meta.FileMetaInformationVersion = b"\x00\x01"
    meta.MediaStorageSOPClassUID = UID(sop_class)
    meta.MediaStorageSOPInstanceUID = UID(sop_instance)
    meta.TransferSyntaxUID = UID(ts)
    meta.ImplementationClassUID = UID("2.25.1234")
    if version:
        meta.ImplementationVersionName = version
    if ae:
        meta.SourceApplicationEntityTitle = ae

    ours = file_meta(sop_class, sop_instance, ts, "2.25.1234", version, ae)

    assert ours == PREAMBLE + encode_file_meta(meta)
