"""DICOM-side access control and limits: calling AE allow-list, called AE check,
association limit, data set size, and DICOM TLS (pynetdicom as the client)."""

from __future__ import annotations

import pytest
from pynetdicom.sop_class import CTImageStorage, Verification

from emulator import Emulator
from emulator.config import load_config
from emulator.errors import ConfigError
from tests.conftest import make_config
from tests.helpers import ClientAE, associate, make_dataset


def attempt(port: int, calling: str = "TESTSCU", called: str = "FABRICATOR", **kw):
    # ClientAE: pynetdicom's own requestor can take a rejection that arrives within
    # microseconds for a refused connection (no primitive to read)
    ae = ClientAE(ae_title=calling)
    ae.acse_timeout = ae.network_timeout = 5
    ae.add_requested_context(Verification)
    return ae.associate("127.0.0.1", port, ae_title=called, **kw)


def rejection(assoc) -> tuple[int, int, int]:
    rj = assoc.acceptor.primitive
    return rj.result, rj.result_source, rj.diagnostic


@pytest.mark.config(dicom__allowed_calling_aes="MOD1, MOD2")
def test_only_allowed_calling_aes_may_associate(emulator):
    assert attempt(emulator.dicom_port, "MOD2").is_established
    stranger = attempt(emulator.dicom_port, "STRANGER")
    assert stranger.is_rejected
    assert rejection(stranger) == (1, 1, 3)  # permanent, service user, calling AE
    # the client may read the A-ASSOCIATE-RJ before the server has noted it
    assert emulator.journal.wait_for(
        lambda: bool(emulator.journal.associations(outcome="rejected"))
    )
    [record] = emulator.journal.associations(outcome="rejected")
    assert record.calling_ae == "STRANGER"


@pytest.mark.config(dicom__require_called_ae=True)
def test_a_wrong_called_ae_is_rejected_when_required(emulator):
    wrong = attempt(emulator.dicom_port, called="OTHERPACS")
    assert rejection(wrong) == (1, 1, 7)  # called AE title not recognized
    assert attempt(emulator.dicom_port, called="FABRICATOR").is_established


def test_any_called_ae_is_accepted_by_default(emulator):
    assert attempt(emulator.dicom_port, called="OTHERPACS").is_established


@pytest.mark.config(dicom__max_associations=1)
def test_one_association_over_the_limit_is_rejected_transient_local_limit(emulator):
    first = attempt(emulator.dicom_port)
    assert first.is_established
    second = attempt(emulator.dicom_port)
    assert rejection(second) == (2, 3, 2)
    first.release()


@pytest.mark.config(dicom__max_dataset_size=2000)
def test_a_data_set_over_the_size_limit_is_refused_a700_and_not_stored(emulator):
    assoc = associate(emulator.dicom_port, CTImageStorage)
    small, large = make_dataset(instance=1), make_dataset(instance=2, PixelData=b"\0" * 4096)
    assert assoc.send_c_store(small).Status == 0
    status = assoc.send_c_store(large)
    assoc.release()
    assert status.Status == 0xA700
    assert "over the limit of 2000" in status.ErrorComment
    assert emulator.index.instance(large.SOPInstanceUID) is None


def test_dicom_tls_with_and_without_client_certificates(tmp_path, certificates):
    config = make_config(
        tmp_path / "d",
        dicom__tls_cert=certificates.server_cert,
        dicom__tls_key=certificates.server_key,
    )
    with Emulator(config) as emulator:
        context = certificates.client_context(with_certificate=False)
        secure = attempt(emulator.dicom_port, tls_args=(context, "127.0.0.1"))
        assert secure.is_established
        assert secure.send_c_echo().Status == 0
        secure.release()
        assert not attempt(emulator.dicom_port).is_established  # plain TCP: no association


def test_mutual_tls_refuses_a_client_without_a_certificate(tmp_path, certificates):
    config = make_config(
        tmp_path / "d",
        dicom__tls_cert=certificates.server_cert,
        dicom__tls_key=certificates.server_key,
        dicom__tls_ca=certificates.ca,
    )
    with Emulator(config) as emulator:
        with_cert = certificates.client_context(with_certificate=True)
        assoc = attempt(emulator.dicom_port, tls_args=(with_cert, "127.0.0.1"))
        assert assoc.is_established
        assoc.release()
        without = certificates.client_context(with_certificate=False)
        assert not attempt(emulator.dicom_port, tls_args=(without, "127.0.0.1")).is_established


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"dicom.tls_cert": "cert.pem"}, "give both (--tls-cert, --tls-key)"),
        ({"dicom.tls_cert": "nope.pem", "dicom.tls_key": "nope.key"}, "'nope.pem' is not a file"),
        ({"dicom.allowed_calling_aes": "MOD1,BAD\\AE"}, "'BAD\\\\AE' is not an AE title"),
    ],
)
def test_tls_and_allow_list_settings_are_checked(overrides, words):
    with pytest.raises(ConfigError) as raised:
        load_config(None, overrides)
    assert any(words in problem for problem in raised.value.problems), raised.value.problems


def test_allowed_calling_aes_take_a_toml_array(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[dicom]\nallowed_calling_aes = ["MOD1", "MOD2"]\n')
    assert load_config(path).dicom.calling_aes == ["MOD1", "MOD2"]
