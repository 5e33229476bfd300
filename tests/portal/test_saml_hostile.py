"""Hostile SAML responses from a throw-away IdP: each leaves no session, an audit event, no 500."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.sessions.models import Session
from django.test import Client

from portal.models import AuditEvent, SeenAssertion, User
from tests.saml_crafted import Claims, CraftedIdP, new_keypair
from tests.saml_idp import SamlBrowser, acs_url

DANA = {"uid": ["dana.scientist"], "mail": ["dana.scientist@bank.example"],
        "groups": ["data-scientists"]}


def claims_for(start_id: str | None, **changes: Any) -> Claims:
    return Claims(**{"name_id": "dana.scientist", "attributes": dict(DANA),
                     "in_response_to": start_id, **changes})


def assert_refused(browser: SamlBrowser, response: Any, reason: str = "") -> AuditEvent:
    assert response.status_code < 500
    assert not response.wsgi_request.user.is_authenticated
    assert "_auth_user_id" not in browser.client.session
    body = response.content.decode()
    assert "Sign-in failed" in body and "Traceback" not in body
    assert not AuditEvent.objects.filter(action="auth.sign_in").exists()
    event = AuditEvent.objects.filter(action="auth.sign_in_failed").latest("id")
    assert reason.lower() in event.data["reason"].lower(), event.data["reason"]
    return event


def test_a_well_formed_response_from_the_crafted_idp_signs_in(crafted: SamlBrowser) -> None:
    start = crafted.start()

    response = crafted.post_response(
        crafted.idp.sign_in_response(claims_for(start.request_id)), start.relay_state)

    assert response.wsgi_request.user.is_authenticated
    assert User.objects.get().username == "dana.scientist"


# --- issue 11 #4: InResponseTo inside the signed assertion ---------------------------------
def test_an_idp_initiated_assertion_rewrapped_to_name_the_pending_request_is_refused(
    crafted: SamlBrowser,
) -> None:
    start = crafted.start()
    idp: CraftedIdP = crafted.idp
    unsolicited = idp.assertion(claims_for(None))

    response = crafted.post_response(
        idp.response(unsolicited, in_response_to=start.request_id), start.relay_state)

    assert_refused(crafted, response, "InResponseTo")


def test_an_assertion_answering_another_request_is_refused(crafted: SamlBrowser) -> None:
    start = crafted.start()
    idp: CraftedIdP = crafted.idp
    other = idp.assertion(claims_for("_another-request"))

    response = crafted.post_response(
        idp.response(other, in_response_to=start.request_id), start.relay_state)

    assert_refused(crafted, response, "SubjectConfirmation")


# --- issue 11 #6: a second AudienceRestriction ----------------------------------------------
def test_a_second_audience_restriction_for_another_sp_is_refused(crafted: SamlBrowser) -> None:
    start = crafted.start()
    claims = claims_for(start.request_id,
                        audiences=[["urn:ml-portal:sp"], ["urn:another-application"]])

    response = crafted.post_response(crafted.idp.sign_in_response(claims), start.relay_state)

    assert_refused(crafted, response, "audience")


def test_one_restriction_naming_the_portal_among_others_is_accepted(crafted: SamlBrowser) -> None:
    start = crafted.start()
    claims = claims_for(start.request_id,
                        audiences=[["urn:another-application", "urn:ml-portal:sp"]])

    response = crafted.post_response(crafted.idp.sign_in_response(claims), start.relay_state)

    assert response.wsgi_request.user.is_authenticated


def test_an_assertion_for_another_audience_only_is_refused(crafted: SamlBrowser) -> None:
    start = crafted.start()
    claims = claims_for(start.request_id, audiences=[["urn:another-application"]])

    response = crafted.post_response(crafted.idp.sign_in_response(claims), start.relay_state)

    assert_refused(crafted, response, "audience")


# --- issue 11 #5: bad XML -------------------------------------------------------------------
ENTITY_EXPANSION = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
                    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>')
EXTERNAL_ENTITY = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("prolog", [ENTITY_EXPANSION, EXTERNAL_ENTITY])
def test_a_response_with_a_dtd_or_entities_is_a_failed_sign_in(
    crafted: SamlBrowser, prolog: str
) -> None:
    start = crafted.start()
    idp: CraftedIdP = crafted.idp
    saml = idp.response(idp.assertion(claims_for(start.request_id)),
                        in_response_to=start.request_id, prolog=prolog)

    response = crafted.post_response(saml, start.relay_state)

    assert_refused(crafted, response, "malformed")


def test_an_assertion_without_a_subject_is_a_failed_sign_in(crafted: SamlBrowser) -> None:
    start = crafted.start()

    response = crafted.post_response(
        crafted.idp.sign_in_response(claims_for(start.request_id, subject=False)),
        start.relay_state)

    assert_refused(crafted, response)


# --- issue 11 #7: nothing stored before a response validates; body limit --------------------
def test_an_invalid_post_to_the_acs_stores_no_session(crafted: SamlBrowser) -> None:
    before = Session.objects.count()
    idp: CraftedIdP = crafted.idp
    forged = idp.response(idp.assertion(claims_for(None), signed=False), in_response_to=None)

    response = Client().post(acs_url(), {"SAMLResponse": forged}, HTTP_HOST="localhost")

    assert response.status_code < 500
    assert Session.objects.count() == before
    assert AuditEvent.objects.filter(action="auth.sign_in_failed").count() == 1


def test_a_body_above_the_limit_is_refused_unread_and_stores_nothing(
    crafted: SamlBrowser, settings: Any
) -> None:
    settings.PORTAL_SAML_MAX_BODY_BYTES = 20_000
    before = Session.objects.count()

    response = Client().post(acs_url(), {"SAMLResponse": "A" * 30_000}, HTTP_HOST="localhost")

    assert response.status_code == 413
    assert Session.objects.count() == before
    assert AuditEvent.objects.get(action="auth.sign_in_failed").data["reason"] == (
        "Request body too large.")


def test_a_body_above_the_limit_is_refused_on_the_login_endpoint(
    crafted: SamlBrowser, settings: Any
) -> None:
    settings.PORTAL_SAML_MAX_BODY_BYTES = 20_000

    response = Client().post("/accounts/saml/sso/login/", {"x": "A" * 30_000},
                             HTTP_HOST="localhost")

    assert response.status_code == 413


def test_the_temporary_sign_in_cookie_is_httponly_and_short_lived(crafted: SamlBrowser) -> None:
    start = crafted.start()
    response = crafted.client.post(
        acs_url(), {"SAMLResponse": crafted.idp.sign_in_response(claims_for(start.request_id))})

    cookie = response.cookies["saml-acs-session"]
    assert cookie["httponly"] is True
    assert cookie["path"] == "/accounts/saml/sso/acs/finish/"
    assert 0 < int(cookie["max-age"]) <= 300


# --- issue 11 #8: a stranger replaying first cannot burn the rightful sign-in ---------------
def test_a_response_replayed_first_in_another_browser_leaves_the_rightful_sign_in_working(
    crafted: SamlBrowser,
) -> None:
    start = crafted.start()
    captured = crafted.idp.sign_in_response(claims_for(start.request_id))
    stranger = SamlBrowser(Client(), crafted.idp)

    stolen = stranger.post_response(captured)

    assert_refused(stranger, stolen, "no sign-in started from this browser")
    assert not SeenAssertion.objects.exists()
    assert crafted.post_response(captured, start.relay_state).wsgi_request.user.is_authenticated


def test_an_assertion_id_used_once_is_refused_under_a_fresh_request(crafted: SamlBrowser) -> None:
    first = crafted.start()
    claims = claims_for(first.request_id, assertion_id="_same-assertion")
    signed_in = crafted.post_response(crafted.idp.sign_in_response(claims))
    assert signed_in.wsgi_request.user.is_authenticated
    crafted.client.post("/accounts/logout/")
    second = crafted.start()
    claims.in_response_to = second.request_id

    response = crafted.post_response(crafted.idp.sign_in_response(claims))

    assert not response.wsgi_request.user.is_authenticated
    event = AuditEvent.objects.filter(action="auth.sign_in_failed").latest("id")
    assert "replay" in event.data["reason"]


# --- held already: signature wrapping, keys, expiry -----------------------------------------
def test_an_unsigned_assertion_placed_before_the_signed_one_is_refused(
    crafted: SamlBrowser,
) -> None:
    start = crafted.start()
    idp: CraftedIdP = crafted.idp
    evil = idp.assertion(claims_for(start.request_id, name_id="pat.admin",
                                    attributes={"uid": ["pat.admin"]}), signed=False)
    genuine = idp.assertion(claims_for(start.request_id))

    response = crafted.post_response(idp.response(evil + genuine,
                                                  in_response_to=start.request_id))

    assert_refused(crafted, response)


def test_a_signed_assertion_with_an_attribute_changed_afterwards_is_refused(
    crafted: SamlBrowser,
) -> None:
    start = crafted.start()
    idp: CraftedIdP = crafted.idp
    signed = idp.assertion(claims_for(start.request_id)).replace("data-scientists",
                                                                 "ml-platform-admins")

    response = crafted.post_response(idp.response(signed, in_response_to=start.request_id))

    assert_refused(crafted, response, "signature")


def test_an_assertion_signed_with_another_key_is_refused(crafted: SamlBrowser) -> None:
    start = crafted.start()
    idp: CraftedIdP = crafted.idp
    key, cert = new_keypair("attacker")
    forged = idp.assertion(claims_for(start.request_id), key_pem=key, cert_pem=cert)

    response = crafted.post_response(idp.response(forged, in_response_to=start.request_id))

    assert_refused(crafted, response, "signature")


def test_an_expired_assertion_is_refused(crafted: SamlBrowser) -> None:
    start = crafted.start()
    claims = claims_for(start.request_id, lifetime=dt.timedelta(minutes=-10))

    response = crafted.post_response(crafted.idp.sign_in_response(claims))

    assert_refused(crafted, response)


def test_a_response_that_is_not_base64_xml_is_a_failed_sign_in(crafted: SamlBrowser) -> None:
    crafted.start()

    response = crafted.post_response(base64.b64encode(b"\x00\xff not xml").decode())

    assert_refused(crafted, response)


# --- issue 11 #2: the connect flow ----------------------------------------------------------
def test_the_connect_flow_is_refused_and_links_nothing(crafted: SamlBrowser) -> None:
    victim = User.objects.create(username="carl.colleague")
    crafted.client.force_login(victim)

    response = crafted.client.post("/accounts/saml/sso/login/?process=connect")

    assert response.status_code < 500
    assert "Sign-in failed" in response.content.decode()
    assert not SocialAccount.objects.exists()
    assert "connect" in AuditEvent.objects.get(action="auth.sign_in_failed").data["reason"].lower()


def test_a_pending_connect_state_is_refused_at_the_acs(crafted: SamlBrowser) -> None:
    from allauth.socialaccount.internal import statekit

    victim = User.objects.create(username="carl.colleague")
    crafted.client.force_login(victim)
    start = crafted.start()
    session = crafted.client.session
    states = session[statekit.STATES_SESSION_KEY]
    states[start.request_id][0]["process"] = "connect"
    session[statekit.STATES_SESSION_KEY] = states
    session.save()

    crafted.post_response(crafted.idp.sign_in_response(claims_for(start.request_id)))

    assert not SocialAccount.objects.exists()
    event = AuditEvent.objects.filter(action="auth.sign_in_failed").latest("id")
    assert "connect" in event.data["reason"].lower()
