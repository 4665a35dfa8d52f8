"""DICOM TLS and the calling AE allow-list as DCMTK's tools see them."""

from __future__ import annotations

import pytest

from emulator import Emulator
from tests.conftest import make_config
from tests.helpers import dcmtk, make_dataset, part10

pytestmark = pytest.mark.interop


@pytest.fixture
def tls_emulator(tmp_path, certificates):
    config = make_config(
        tmp_path / "d",
        dicom__tls_cert=certificates.server_cert,
        dicom__tls_key=certificates.server_key,
        dicom__tls_ca=certificates.ca,  # mutual TLS: the tools present the client certificate
    )
    with Emulator(config) as emulator:
        yield emulator


def tls(certificates) -> list[str]:
    return ["+tls", str(certificates.client_key), str(certificates.client_cert)]


def test_echoscu_over_tls(tls_emulator, certificates):
    port = str(tls_emulator.dicom_port)
    r = dcmtk("echoscu", *tls(certificates), "+cf", str(certificates.ca), "127.0.0.1", port)
    assert r.returncode == 0, r.stdout + r.stderr
    assert tls_emulator.journal.messages(service="C-ECHO")
    plain = dcmtk("echoscu", "127.0.0.1", port)  # no TLS: no association
    assert plain.returncode != 0


def test_storescu_over_tls_stores(tls_emulator, certificates, tmp_path):
    f = tmp_path / "ct.dcm"
    f.write_bytes(part10(make_dataset()))
    r = dcmtk(
        "storescu",
        *tls(certificates),
        "+cf",
        str(certificates.ca),
        "-aec",
        "FABRICATOR",
        "127.0.0.1",
        str(tls_emulator.dicom_port),
        str(f),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert tls_emulator.index.instance(make_dataset().SOPInstanceUID) is not None


def test_echoscu_refuses_an_emulator_whose_certificate_it_does_not_trust(
    tls_emulator, certificates
):
    # no +cf: DCMTK does not know the CA and gives up before any association
    r = dcmtk("echoscu", *tls(certificates), "127.0.0.1", str(tls_emulator.dicom_port))
    assert r.returncode != 0
    assert not tls_emulator.journal.messages(service="C-ECHO")


@pytest.mark.config(dicom__allowed_calling_aes="MOD1")
def test_echoscu_from_an_ae_not_on_the_allow_list_is_rejected_reason_3(emulator):
    port = str(emulator.dicom_port)
    r = dcmtk("echoscu", "-aet", "INTRUDER", "127.0.0.1", port)
    assert r.returncode != 0
    assert "Calling AE Title Not Recognized" in r.stderr
    assert dcmtk("echoscu", "-aet", "MOD1", "127.0.0.1", port).returncode == 0
