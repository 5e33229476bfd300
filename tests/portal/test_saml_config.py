"""The IdP is configured from the environment: metadata file or URL, or entity id + URL + cert."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.devidp.idp import DevIdP
from portal.saml_config import saml_provider_settings

IDP_VARS = ["PORTAL_SAML_IDP_METADATA_URL", "PORTAL_SAML_IDP_METADATA_FILE",
            "PORTAL_SAML_IDP_ENTITY_ID", "PORTAL_SAML_IDP_SSO_URL", "PORTAL_SAML_IDP_X509CERT",
            "PORTAL_SAML_IDP_X509CERT_FILE"]


@pytest.fixture(autouse=True)
def _no_idp_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in IDP_VARS:
        monkeypatch.delenv(name, raising=False)


def _idp(settings_dict: dict) -> dict:
    (app,) = settings_dict["saml"]["APPS"]
    return app["settings"]["idp"]


def test_without_an_idp_no_saml_app_is_configured() -> None:
    assert saml_provider_settings()["saml"]["APPS"] == []


def test_it_reads_the_idp_from_a_metadata_file(
    monkeypatch: pytest.MonkeyPatch, dev_idp: DevIdP, tmp_path: Path
) -> None:
    metadata = tmp_path / "idp-metadata.xml"
    metadata.write_text(dev_idp.metadata_xml())
    monkeypatch.setenv("PORTAL_SAML_IDP_METADATA_FILE", str(metadata))

    idp = _idp(saml_provider_settings())

    assert idp["entity_id"] == dev_idp.entity_id
    assert idp["sso_url"] == dev_idp.sso_url
    assert idp["x509cert"] in "".join(dev_idp.certificate_pem.splitlines())


def test_it_reads_entity_id_sso_url_and_certificate_file(
    monkeypatch: pytest.MonkeyPatch, dev_idp: DevIdP
) -> None:
    monkeypatch.setenv("PORTAL_SAML_IDP_ENTITY_ID", dev_idp.entity_id)
    monkeypatch.setenv("PORTAL_SAML_IDP_SSO_URL", dev_idp.sso_url)
    monkeypatch.setenv("PORTAL_SAML_IDP_X509CERT_FILE", str(dev_idp.cert_file))

    app_settings = saml_provider_settings()["saml"]["APPS"][0]["settings"]

    assert app_settings["idp"]["sso_url"] == dev_idp.sso_url
    assert "BEGIN CERTIFICATE" not in app_settings["idp"]["x509cert"]
    assert app_settings["advanced"]["want_assertion_signed"] is True
    assert app_settings["advanced"]["reject_idp_initiated_sso"] is True
    assert app_settings["advanced"]["signature_algorithm"].endswith("rsa-sha256")


def test_a_metadata_url_is_passed_to_allauth_with_its_entity_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORTAL_SAML_IDP_METADATA_URL", "https://idp.bank.example/metadata")
    monkeypatch.setenv("PORTAL_SAML_IDP_ENTITY_ID", "https://idp.bank.example/")

    idp = _idp(saml_provider_settings())

    assert idp["metadata_url"] == "https://idp.bank.example/metadata"
    assert idp["entity_id"] == "https://idp.bank.example/"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PORTAL_SAML_IDP_ENTITY_ID": "x"}, "PORTAL_SAML_IDP_SSO_URL"),
        ({"PORTAL_SAML_IDP_METADATA_URL": "https://idp/m"}, "PORTAL_SAML_IDP_ENTITY_ID"),
        ({"PORTAL_SAML_IDP_METADATA_FILE": "/nonexistent.xml"}, "PORTAL_SAML_IDP_METADATA_FILE"),
    ],
)
def test_an_incomplete_idp_configuration_names_the_missing_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    with pytest.raises(ImproperlyConfigured, match=named):
        saml_provider_settings()
