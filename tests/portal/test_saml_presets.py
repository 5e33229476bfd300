"""PORTAL_SAML_PRESET, PORTAL_SAML_ATTRIBUTES, PORTAL_SAML_UID_CASE and PORTAL_ROLE_GROUPS."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.saml_config import (
    PRESETS,
    role_groups,
    saml_attribute_names,
    saml_preset,
    saml_provider_settings,
    saml_uid_case,
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PORTAL_SAML_PRESET", "PORTAL_SAML_ATTRIBUTES", "PORTAL_SAML_UID_CASE",
                 "PORTAL_ROLE_GROUPS", "PORTAL_SAML_IDP_METADATA_URL",
                 "PORTAL_SAML_IDP_METADATA_FILE", "PORTAL_SAML_IDP_ENTITY_ID",
                 "PORTAL_SAML_METADATA_ALLOW_HTTP"):
        monkeypatch.delenv(name, raising=False)


def test_the_default_preset_is_ldap() -> None:
    assert saml_preset() == "ldap"
    assert saml_attribute_names("ldap")["uid"] == ["uid", "urn:oid:0.9.2342.19200300.100.1.1"]


@pytest.mark.parametrize("preset", ["entra", "ENTRA ", "okta", "adfs"])
def test_one_setting_selects_a_preset(monkeypatch: pytest.MonkeyPatch, preset: str) -> None:
    monkeypatch.setenv("PORTAL_SAML_PRESET", preset)

    assert saml_preset() == preset.strip().lower()


def test_an_unknown_preset_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_SAML_PRESET", "shibboleth")

    with pytest.raises(ImproperlyConfigured, match="PORTAL_SAML_PRESET must be one of ldap"):
        saml_preset()


def test_the_entra_preset_reads_claim_uris_and_object_id_groups() -> None:
    entra = PRESETS["entra"]

    assert entra["uid"][0] == "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
    assert entra["groups"] == ["http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"]


def test_attributes_override_only_the_fields_they_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_SAML_PRESET", "okta")
    monkeypatch.setenv("PORTAL_SAML_ATTRIBUTES", "groups=oktaGroups, roles ; manager=boss")

    names = saml_attribute_names(saml_preset())

    assert names["groups"] == ["oktaGroups", "roles"]
    assert names["manager"] == ["boss"]
    assert names["email"] == PRESETS["okta"]["email"]
    assert set(names) == set(PRESETS["okta"])


@pytest.mark.parametrize(
    ("value", "message"),
    [("grups=memberOf", "unknown field 'grups'"), ("groups=", "groups names no attribute"),
     ("groups= , ", "groups names no attribute"), ("memberOf", "unknown field 'memberOf'")],
)
def test_a_bad_attribute_override_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("PORTAL_SAML_ATTRIBUTES", value)

    with pytest.raises(ImproperlyConfigured, match=message):
        saml_attribute_names("ldap")


def test_adfs_folds_the_uid_case_by_default_and_others_keep_it() -> None:
    assert saml_uid_case("adfs") == "lower"
    assert saml_uid_case("entra") == "exact"


def test_the_uid_case_rule_can_be_set_and_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_SAML_UID_CASE", "lower")
    assert saml_uid_case("ldap") == "lower"
    monkeypatch.setenv("PORTAL_SAML_UID_CASE", "upper")
    with pytest.raises(ImproperlyConfigured, match="PORTAL_SAML_UID_CASE"):
        saml_uid_case("ldap")


def test_role_groups_take_dns_separated_by_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "PORTAL_ROLE_GROUPS",
        "catalog_admin=CN=ml-platform-admins,OU=Groups,DC=bank|cloud-admins;auditor=it-audit",
    )

    assert role_groups("") == {
        "catalog_admin": ["CN=ml-platform-admins,OU=Groups,DC=bank", "cloud-admins"],
        "auditor": ["it-audit"],
    }


def test_comma_separated_group_names_are_refused_with_the_new_separator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORTAL_ROLE_GROUPS", "catalog_admin=ml-platform-admins,cloud-admins")

    with pytest.raises(ImproperlyConfigured, match=r"separate groups with '\|'"):
        role_groups("")


def test_a_role_groups_entry_without_a_role_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_ROLE_GROUPS", "it-audit")

    with pytest.raises(ImproperlyConfigured, match="PORTAL_ROLE_GROUPS must look like"):
        role_groups("")


@pytest.mark.parametrize("url", ["http://idp.bank.example/metadata", "ftp://idp/m", "idp/m"])
def test_a_metadata_url_that_is_not_https_is_refused(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("PORTAL_SAML_IDP_METADATA_URL", url)
    monkeypatch.setenv("PORTAL_SAML_IDP_ENTITY_ID", "https://idp.bank.example/")

    with pytest.raises(ImproperlyConfigured, match="must be https://"):
        saml_provider_settings()


def test_an_http_metadata_url_is_accepted_when_explicitly_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORTAL_SAML_IDP_METADATA_URL", "http://idp.internal/metadata")
    monkeypatch.setenv("PORTAL_SAML_IDP_ENTITY_ID", "https://idp.bank.example/")
    monkeypatch.setenv("PORTAL_SAML_METADATA_ALLOW_HTTP", "true")

    (app,) = saml_provider_settings()["saml"]["APPS"]

    assert app["settings"]["idp"]["metadata_url"] == "http://idp.internal/metadata"
