"""Sign-in per preset, with assertions shaped as Entra ID, Okta, ADFS and LDAP IdPs send them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from portal.models import AuditEvent, User
from tests.saml_crafted import EMAIL, PERSISTENT, UNSPECIFIED, Claims, CraftedIdP
from tests.saml_idp import SamlBrowser, configure_portal_for

CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
MS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/"
ADMINS_OBJECT_ID = "6f1c3a7e-2b8d-4c1e-9a55-0d3e8f7b2a11"


@pytest.fixture
def browser_for(db: None, settings: Any, monkeypatch: pytest.MonkeyPatch,
                crafted_idp: CraftedIdP) -> Any:
    def make(preset: str, **env: str) -> SamlBrowser:
        monkeypatch.setenv("PORTAL_SAML_PRESET", preset)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        configure_portal_for(settings, crafted_idp)
        return SamlBrowser(Client(), crafted_idp)
    return make


def sign_in(browser: SamlBrowser, **claims: Any) -> Any:
    start = browser.start()
    return browser.post_response(
        browser.idp.sign_in_response(Claims(in_response_to=start.request_id, **claims)))


def test_entra_id_upn_claims_and_object_id_groups(browser_for: Any, settings: Any) -> None:
    settings.PORTAL_ROLE_GROUPS = {"catalog_admin": [ADMINS_OBJECT_ID]}
    browser = browser_for("entra")

    response = sign_in(browser, name_id="pat.admin@bank.example", name_id_format=EMAIL,
                       attributes={
                           "http://schemas.microsoft.com/identity/claims/tenantid": ["t-1"],
                           "http://schemas.microsoft.com/identity/claims/objectidentifier": ["o"],
                           CLAIMS + "name": ["pat.admin@bank.example"],
                           CLAIMS + "emailaddress": ["pat.admin@bank.example"],
                           CLAIMS + "givenname": ["Pat"], CLAIMS + "surname": ["Admin"],
                           MS + "groups": [ADMINS_OBJECT_ID, "0b7c-unrelated"],
                       })

    assert response.wsgi_request.user.is_authenticated
    user = User.objects.get()
    assert user.username == "pat.admin@bank.example"
    assert (user.email, user.first_name, user.last_name) == (
        "pat.admin@bank.example", "Pat", "Admin")
    assert user.roles == ["catalog_admin"]


def test_entra_groups_overage_is_refused_with_a_message(browser_for: Any) -> None:
    browser = browser_for("entra")

    response = sign_in(browser, name_id="pat.admin@bank.example", attributes={
        CLAIMS + "name": ["pat.admin@bank.example"],
        "http://schemas.microsoft.com/claims/groups.link": [
            "https://graph.windows.net/t-1/users/o/getMemberObjects"],
    })

    assert not response.wsgi_request.user.is_authenticated
    assert "more groups than the identity provider" in response.content.decode()
    assert not User.objects.exists()
    event = AuditEvent.objects.get(action="auth.sign_in_failed")
    assert "overage" in event.data["reason"]


def test_okta_sends_the_username_as_an_email_nameid(browser_for: Any, settings: Any) -> None:
    settings.PORTAL_ROLE_GROUPS = {"auditor": ["it-audit"]}
    browser = browser_for("okta")

    response = sign_in(browser, name_id="audrey.auditor@bank.example", name_id_format=EMAIL,
                       attributes={"email": ["audrey.auditor@bank.example"],
                                   "firstName": ["Audrey"], "lastName": ["Auditor"],
                                   "groups": ["Everyone", "it-audit"]})

    assert response.wsgi_request.user.is_authenticated
    user = User.objects.get()
    assert user.username == "audrey.auditor@bank.example"  # from the NameID: no uid attribute
    assert user.first_name == "Audrey" and user.roles == ["auditor"]


def test_adfs_upn_is_case_folded_and_groups_come_as_group_claims(
    browser_for: Any, settings: Any
) -> None:
    settings.PORTAL_ROLE_GROUPS = {"approver": ["ml-approvers"]}
    browser = browser_for("adfs")
    attributes = {CLAIMS + "upn": ["Maria.Manager@BANK.example"],
                  MS + "windowsaccountname": ["BANK\\Maria.Manager"],
                  CLAIMS + "emailaddress": ["maria.manager@bank.example"],
                  "http://schemas.xmlsoap.org/claims/Group": ["Domain Users", "ml-approvers"]}

    first = sign_in(browser, name_id="BANK\\Maria.Manager", attributes=attributes)
    browser.client.post("/accounts/logout/")
    again = sign_in(browser, name_id="BANK\\maria.manager",
                    attributes={**attributes, CLAIMS + "upn": ["maria.manager@bank.example"]})

    assert first.wsgi_request.user.is_authenticated and again.wsgi_request.user.is_authenticated
    user = User.objects.get()
    assert user.username == "maria.manager@bank.example"
    assert user.roles == ["approver"]


def test_adfs_windows_account_name_with_a_backslash_is_stored_exactly(
    browser_for: Any,
) -> None:
    browser = browser_for("adfs", PORTAL_SAML_UID_CASE="exact")

    response = sign_in(browser, name_id="x", attributes={
        MS + "windowsaccountname": ["BANK\\Dana.Scientist"]})

    assert response.wsgi_request.user.is_authenticated
    assert User.objects.get().username == "BANK\\Dana.Scientist"


def test_ldap_memberof_dns_grant_roles_by_cn(browser_for: Any, settings: Any) -> None:
    settings.PORTAL_ROLE_GROUPS = {"catalog_admin": ["ml-platform-admins"]}
    browser = browser_for("ldap")

    response = sign_in(browser, name_id="pat.admin", name_id_format=PERSISTENT, attributes={
        "uid": ["pat.admin"],
        "memberOf": ["CN=ml-platform-admins,OU=Groups,DC=bank,DC=example",
                     "CN=everyone,OU=Groups,DC=bank,DC=example"]})

    assert response.wsgi_request.user.is_authenticated
    assert User.objects.get().roles == ["catalog_admin"]


def test_the_nameid_is_the_uid_when_no_uid_attribute_is_sent(browser_for: Any) -> None:
    browser = browser_for("ldap")

    sign_in(browser, name_id="Dana.Scientist", name_id_format=UNSPECIFIED, attributes={
        "mail": ["dana@bank.example"]})

    assert User.objects.get().username == "Dana.Scientist"
