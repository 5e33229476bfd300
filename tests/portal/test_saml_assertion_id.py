"""A validly signed SAML response whose assertion has no ID is refused, with its audit reason.

The assertion ID is what makes an assertion usable once (``portal.services.saml_assertion_consume``
records it). The SAML schema requires it, so python3-saml in strict mode (the portal's setting)
refuses such a response at the ACS before the portal reads it. The portal still checks it
itself (``PortalSAMLProvider.sociallogin_from_response``): the one-time use must not depend on
one library setting. The second test takes the response through python3-saml with its signature
checked but without strict mode, as a laxer setting or library would, and hands it on to the
portal.
"""

from __future__ import annotations

from typing import Any

import pytest
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.providers.saml.utils import get_app_or_404
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import RequestFactory

from portal.models import AuditEvent, SeenAssertion, User
from portal.saml_config import SAML_APP_SLUG
from portal.sso import saml_auth
from tests.saml_crafted import Claims, CraftedIdP
from tests.saml_idp import SamlBrowser, acs_url

DANA = {"uid": ["dana.scientist"], "mail": ["dana.scientist@bank.example"],
        "groups": ["data-scientists"]}


def _without_assertion_id(idp: CraftedIdP, *, in_response_to: str | None) -> str:
    """A Response signed by the trusted IdP around an assertion that carries no ID."""
    claims = Claims(name_id="dana.scientist", attributes=dict(DANA),
                    in_response_to=in_response_to, assertion_id=None)
    assertion = idp.assertion(claims, signed=False)
    assert " ID=" not in assertion
    return idp.signed_response(assertion, in_response_to=in_response_to)


def _last_failure() -> AuditEvent:
    assert not AuditEvent.objects.filter(action="auth.sign_in").exists()
    return AuditEvent.objects.filter(action="auth.sign_in_failed").latest("id")


def test_at_the_acs_the_response_is_refused_and_the_failure_audited(crafted: SamlBrowser) -> None:
    start = crafted.start()

    response = crafted.post_response(
        _without_assertion_id(crafted.idp, in_response_to=start.request_id), start.relay_state)

    assert response.status_code < 500 and not response.wsgi_request.user.is_authenticated
    assert "Sign-in failed" in response.content.decode()
    # python3-saml (strict) refuses it first: the schema requires the ID.
    assert "saml-schema-protocol" in _last_failure().data["reason"]
    assert not User.objects.exists() and not SeenAssertion.objects.exists()


def test_the_portal_refuses_it_itself_with_a_clear_reason(crafted: SamlBrowser,
                                                          rf: RequestFactory) -> None:
    request: Any = rf.post(acs_url(), {
        "SAMLResponse": _without_assertion_id(crafted.idp, in_response_to=None)},
        HTTP_HOST="localhost")
    SessionMiddleware(lambda r: None).process_request(request)
    request.user = AnonymousUser()
    provider = get_app_or_404(request, SAML_APP_SLUG).get_provider(request)
    auth = saml_auth(request, provider)
    auth.get_settings().set_strict(False)  # signatures still checked; not the schema
    auth.process_response(request_id=None)
    assert auth.get_errors() == [] and auth.get_last_assertion_id() is None  # signature valid

    with pytest.raises(ImmediateHttpResponse) as refused:
        provider.sociallogin_from_response(request, auth)

    page = refused.value.response
    assert page.status_code < 500 and "Sign-in failed" in page.content.decode()
    assert _last_failure().data["reason"] == "The response carries no assertion id."
    assert not User.objects.exists() and not SeenAssertion.objects.exists()
