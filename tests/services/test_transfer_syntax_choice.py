"""Which transfer syntax the emulator accepts in a presentation context that proposes several:
the requestor's first that it supports, Explicit VR Big Endian (retired) only when nothing
else is, so that what a sender prefers is what it sends and what is stored."""

from __future__ import annotations

import pytest
from pydicom.uid import (
    CTImageStorage,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGLSLossless,
    RLELossless,
)
from pynetdicom import build_context
from pynetdicom.sop_class import Verification

from tests.helpers import PYDICOM_DATA, associate, dcmtk, make_dataset, read

UNKNOWN = "1.2.3.4.5.6.7"  # a transfer syntax the emulator does not know


def accepted(emulator, sop_class, proposed):
    assoc = associate(emulator.dicom_port, build_context(sop_class, proposed))
    try:
        [context] = assoc.accepted_contexts
        return context.transfer_syntax[0]
    finally:
        assoc.release()


def stored_through(emulator, ds, proposed):
    """Store *ds* over a context of its SOP class that proposes *proposed*; the file kept."""
    assoc = associate(emulator.dicom_port, build_context(ds.SOPClassUID, proposed))
    try:
        assert assoc.send_c_store(ds).Status == 0x0000
    finally:
        assoc.release()
    instance = emulator.index.instance(ds.SOPInstanceUID)
    return read(emulator.files.path(instance.location).read_bytes())


@pytest.mark.parametrize(
    ("proposed", "chosen"),
    [
        ([JPEGLSLossless, ExplicitVRLittleEndian, ImplicitVRLittleEndian], JPEGLSLossless),
        ([ExplicitVRLittleEndian, ImplicitVRLittleEndian], ExplicitVRLittleEndian),
        ([ImplicitVRLittleEndian, ExplicitVRLittleEndian], ImplicitVRLittleEndian),
        ([UNKNOWN, RLELossless, ImplicitVRLittleEndian], RLELossless),
        ([ExplicitVRBigEndian, ImplicitVRLittleEndian], ImplicitVRLittleEndian),
        ([ExplicitVRBigEndian], ExplicitVRBigEndian),
    ],
)
def test_a_storage_context_gets_the_requestors_first_choice(emulator, proposed, chosen):
    assert accepted(emulator, CTImageStorage, proposed) == chosen


def test_a_verification_context_gets_the_requestors_first_choice_too(emulator):
    proposed = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
    assert accepted(emulator, Verification, proposed) == ExplicitVRLittleEndian


def test_a_compressed_file_goes_and_is_kept_as_it_is_when_its_syntax_is_proposed_first(
    emulator,
):
    """A modality proposing its JPEG-LS images' own syntax ahead of the uncompressed ones
    sends them compressed, and they are stored byte for byte (a real-world file)."""
    original = read(PYDICOM_DATA / "test_files" / "MR_small_jpeg_ls_lossless.dcm")
    proposed = [JPEGLSLossless, ExplicitVRLittleEndian, ImplicitVRLittleEndian]
    saved = stored_through(emulator, original, proposed)
    assert saved.file_meta.TransferSyntaxUID == JPEGLSLossless
    assert saved.PixelData == original.PixelData
    [context] = emulator.journal.associations()[-1].contexts  # what the journal shows
    assert context["transfer_syntaxes"] == proposed
    assert context["transfer_syntax"] == JPEGLSLossless


def test_explicit_vr_proposed_first_keeps_a_private_elements_vr(emulator):
    """With Implicit VR a private element would arrive without its VR (and be stored as
    UN); the requestor's Explicit VR Little Endian keeps it."""
    ds = make_dataset()
    block = ds.private_block(0x0019, "FABRICATOR TEST", create=True)
    block.add_new(0x10, "DS", "1.5")
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    saved = stored_through(emulator, ds, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
    assert saved.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert saved[0x0019, 0x1010].VR == "DS"


@pytest.mark.interop
def test_findscu_gets_explicit_vr_little_endian_its_first_proposal(emulator):
    """DCMTK's findscu proposes Explicit VR Little Endian, Big Endian and Implicit VR in
    that order, and reads its answers in the first."""
    r = dcmtk(
        "findscu", "-d", "-S", "-aec", emulator.ae_title,
        "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID",
        "127.0.0.1", str(emulator.dicom_port),
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    lines = (r.stdout + r.stderr).splitlines()
    assert any("Accepted Transfer Syntax: =LittleEndianExplicit" in line for line in lines)
