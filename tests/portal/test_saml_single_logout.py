"""Single logout from the IdP: only signed messages count, and the redirect stays on the portal."""

from __future__ import annotations

from typing import Any

import pytest

from portal.models import AuditEvent
from tests.saml_crafted import Claims, CraftedIdP, new_keypair
from tests.saml_idp import SamlBrowser, configure_portal_for

SLS = "/accounts/saml/sso/sls/"


def signed_in(browser: SamlBrowser) -> None:
    start = browser.start()
    claims = Claims(name_id="dana.scientist", attributes={"uid": ["dana.scientist"]},
                    in_response_to=start.request_id)
    response = browser.post_response(browser.idp.sign_in_response(claims))
    assert response.wsgi_request.user.is_authenticated


def still_signed_in(browser: SamlBrowser) -> bool:
    return "_auth_user_id" in browser.client.session


def assert_logout_refused(browser: SamlBrowser, response: Any) -> None:
    assert response.status_code == 400
    assert "Sign-out message refused" in response.content.decode()
    assert still_signed_in(browser)
    assert AuditEvent.objects.filter(action="auth.sign_out_refused").count() == 1
    assert not AuditEvent.objects.filter(action="auth.sign_out").exists()


def test_an_unsigned_logout_request_with_an_external_relay_state_is_refused(
    crafted: SamlBrowser,
) -> None:
    signed_in(crafted)
    idp: CraftedIdP = crafted.idp
    query = idp.logout_request_query(name_id="dana.scientist",
                                     relay_state="https://evil.example/", signed=False)

    response = crafted.client.get(SLS, query)

    assert_logout_refused(crafted, response)


def test_an_unsigned_logout_response_is_refused(crafted: SamlBrowser) -> None:
    signed_in(crafted)
    idp: CraftedIdP = crafted.idp

    response = crafted.client.get(SLS, idp.logout_response_query(in_response_to="_x",
                                                                   signed=False))

    assert_logout_refused(crafted, response)


def test_a_logout_request_signed_with_another_key_is_refused(crafted: SamlBrowser) -> None:
    signed_in(crafted)
    idp: CraftedIdP = crafted.idp
    attacker_key, _ = new_keypair("attacker")

    response = crafted.client.get(SLS, idp.logout_request_query(
        name_id="dana.scientist", key_pem=attacker_key))

    assert_logout_refused(crafted, response)


def test_a_request_without_a_logout_message_is_refused(crafted: SamlBrowser) -> None:
    signed_in(crafted)

    assert_logout_refused(crafted, crafted.client.get(SLS, {"RelayState": "/"}))


def test_a_signed_logout_request_signs_out_and_answers_the_idp(crafted: SamlBrowser) -> None:
    signed_in(crafted)
    idp: CraftedIdP = crafted.idp

    response = crafted.client.get(SLS, idp.logout_request_query(
        name_id="dana.scientist", relay_state="https://evil.example/"))

    assert response.status_code == 302
    assert response["Location"].startswith(idp.slo_url + "?SAMLResponse=")
    assert not still_signed_in(crafted)
    assert AuditEvent.objects.filter(action="auth.sign_out").count() == 1


def test_without_an_idp_logout_endpoint_the_redirect_stays_on_the_portal(
    settings: Any, crafted: SamlBrowser
) -> None:
    idp: CraftedIdP = crafted.idp
    configure_portal_for(settings, idp)
    settings.SOCIALACCOUNT_PROVIDERS["saml"]["APPS"][0]["settings"]["idp"].pop("slo_url")
    signed_in(crafted)

    response = crafted.client.get(SLS, idp.logout_request_query(
        name_id="dana.scientist", relay_state="https://evil.example/"))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert not still_signed_in(crafted)


@pytest.mark.parametrize("relay_state", ["https://evil.example/", "//evil.example/"])
def test_a_signed_logout_response_signs_out_onto_the_portal_whatever_its_relay_state(
    crafted: SamlBrowser, relay_state: str
) -> None:
    signed_in(crafted)
    idp: CraftedIdP = crafted.idp

    response = crafted.client.get(SLS, idp.logout_response_query(
        in_response_to="_ours", relay_state=relay_state))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert not still_signed_in(crafted)
