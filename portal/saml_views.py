"""The SAML endpoints, replacing allauth's where its checks are too kind.

Differences from ``allauth.socialaccount.providers.saml.views``:

- bodies above ``PORTAL_SAML_MAX_BODY_BYTES`` are refused before they are read;
- the ACS validates the response *before* parking it in the temporary session (allauth parks
  every POST, so anyone could fill the session table), and the temporary cookie is HttpOnly;
- the finish step passes the request id to python3-saml (allauth passes none) once it knows this
  browser started that request, and only then spends the assertion's one-time use;
- anything that is not a valid response (bad XML, entities, no subject) is a failed sign-in with
  its audit event, never a 500;
- single logout messages must carry the IdP's signature, and the redirect after logout goes to the
  IdP's logout endpoint or stays on the portal;
- the ``connect`` process (linking an identity to the signed-in account) is refused.
"""

from __future__ import annotations

import logging
import time
from typing import Any, cast

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal import httpkit
from allauth.socialaccount.helpers import complete_social_login
from allauth.socialaccount.internal import statekit
from allauth.socialaccount.providers.base.constants import AuthProcess
from allauth.socialaccount.providers.saml import views as allauth_saml
from allauth.socialaccount.providers.saml.utils import build_saml_config, get_app_or_404
from allauth.socialaccount.sessions import LoginSession
from django.conf import settings
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import include, path, re_path, reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from onelogin.saml2.auth import OneLogin_Saml2_Auth

from portal.services import audit_record
from portal.sso import MetadataUnavailable, PortalSamlResponse, saml_auth, saml_refusal

logger = logging.getLogger(__name__)

ACS_SESSION = ("saml_acs_session", "saml-acs-session")
ACS_SESSION_SECONDS = 300
SLO_SESSION_KEY = "portal_saml_slo"


def _provider(request: HttpRequest, organization_slug: str) -> Any:
    return get_app_or_404(request, organization_slug).get_provider(request)


def _auth(request: HttpRequest, provider: Any) -> OneLogin_Saml2_Auth:
    try:
        return saml_auth(request, provider)
    except MetadataUnavailable:
        raise ImmediateHttpResponse(saml_refusal(
            request, provider, "IdP metadata unavailable.",
            "The identity provider cannot be reached right now. Try again in a few minutes.",
        )) from None


def body_too_large(request: HttpRequest) -> bool:
    """Judged from Content-Length, before Django reads (and buffers) the body."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > settings.PORTAL_SAML_MAX_BODY_BYTES


def _too_large(request: HttpRequest, provider: Any) -> HttpResponse:
    response = saml_refusal(request, provider, "Request body too large.",
                            "The request was larger than a sign-in message can be.")
    response.status_code = 413
    return response


def _validation_error(auth: OneLogin_Saml2_Auth, request_id: str | None) -> str:
    """Process the response; the reason it is not acceptable, or empty when it is."""
    try:
        auth.process_response(request_id=request_id)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a refused response
        # Bad base64, XML with entities or a DTD (defusedxml raises), malformed documents.
        logger.info("SAML response not parseable: %s", exc.__class__.__name__)
        return f"Malformed response ({exc.__class__.__name__})."
    if auth.get_errors():
        return auth.get_last_error_reason() or ", ".join(auth.get_errors())
    if not auth.is_authenticated():
        return "The response does not authenticate anybody."
    return ""


def _in_response_to(auth: OneLogin_Saml2_Auth, saml_response: str) -> str | None:
    try:
        in_response_to: str | None = PortalSamlResponse(
            auth.get_settings(), saml_response).get_in_response_to()
        return in_response_to
    except Exception:  # noqa: BLE001 - the full validation reports it
        return None


@csrf_exempt
@require_POST
def acs(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """Receive the IdP's POST (cross-site, so without the session cookie) and park it briefly."""
    provider = _provider(request, organization_slug)
    if body_too_large(request):
        return _too_large(request, provider)
    try:
        error = _validation_error(_auth(request, provider), request_id=None)
    except ImmediateHttpResponse as exc:
        return cast(HttpResponse, exc.response)
    if error:
        return saml_refusal(request, provider, error)
    finish_url = reverse("saml_finish_acs", kwargs={"organization_slug": organization_slug})
    response = HttpResponseRedirect(finish_url)
    acs_session = LoginSession(request, *ACS_SESSION)
    acs_session.store["request"] = httpkit.serialize_request(request)
    acs_session.store.set_expiry(ACS_SESSION_SECONDS)
    acs_session.store.save()
    response.set_cookie(
        ACS_SESSION[1], acs_session.store.session_key, max_age=ACS_SESSION_SECONDS,
        path=finish_url, secure=settings.SESSION_COOKIE_SECURE, httponly=True,
        samesite=settings.SESSION_COOKIE_SAMESITE or "Lax",
        domain=settings.SESSION_COOKIE_DOMAIN,
    )
    return response


@require_http_methods(["GET"])
def finish_acs(request: HttpRequest, organization_slug: str) -> HttpResponse:
    provider = _provider(request, organization_slug)
    try:
        return _finish(request, provider)
    except ImmediateHttpResponse as exc:
        return cast(HttpResponse, exc.response)


def _finish(request: HttpRequest, provider: Any) -> HttpResponse:
    acs_session = LoginSession(request, *ACS_SESSION)
    parked = acs_session.store.get("request")
    acs_session.delete()
    if not parked:
        return saml_refusal(request, provider, "No SAML response to finish.")
    acs_request = httpkit.deserialize_request(parked, HttpRequest())
    auth = _auth(acs_request, provider)
    request_id = _in_response_to(auth, acs_request.POST.get("SAMLResponse", ""))
    if not request_id:
        return saml_refusal(request, provider,
                            "IdP-initiated sign-in is not accepted; start at the portal.")
    pending = statekit.get_states(request).get(request_id)
    if pending is None or pending[2] != provider.sub_id:
        return saml_refusal(request, provider,
                            "The response answers no sign-in started from this browser.")
    error = _validation_error(auth, request_id=request_id)
    if error:
        return saml_refusal(request, provider, error)
    try:
        login = provider.sociallogin_from_response(request, auth)
    except ImmediateHttpResponse:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. a subject python3-saml cannot read
        return saml_refusal(request, provider, f"Unusable response ({exc.__class__.__name__}).")
    state = statekit.unstash_state(request, state_id=request_id, provider_id=provider.sub_id)
    if state is None:
        return saml_refusal(request, provider, "The sign-in request from this browser expired.")
    if state.get("process") != AuthProcess.LOGIN:
        return saml_refusal(request, provider,
                            "Connecting an identity to another account is not allowed.")
    login.state = state
    response: HttpResponse = complete_social_login(request, login)
    if request.user.is_authenticated:
        # What an SP-initiated LogoutRequest must name (portal.views.sign_out).
        request.session[SLO_SESSION_KEY] = {
            "name_id": auth.get_nameid(), "name_id_format": auth.get_nameid_format(),
            "session_index": auth.get_session_index(), "client_id": provider.app.client_id,
        }
    return response


def saml_logout_url(request: HttpRequest, slo: dict[str, Any]) -> str | None:
    """Where to send the browser so the IdP ends its session too; None if it has no SLO URL.

    The LogoutRequest is unsigned (the portal has no SAML signing key): IdPs that insist on
    signed requests refuse it and keep their session, which ends at their own timeout.
    """
    try:
        auth = _auth(request, _provider(request, slo["client_id"]))
    except (ImmediateHttpResponse, Http404):  # IdP unreachable, or its app was removed
        return None
    if not auth.get_slo_url():
        return None
    return str(auth.logout(
        return_to=request.build_absolute_uri(reverse(settings.LOGOUT_REDIRECT_URL)),
        name_id=slo.get("name_id"), session_index=slo.get("session_index"),
        name_id_format=slo.get("name_id_format"),
    ))


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest, organization_slug: str) -> HttpResponse:
    provider = _provider(request, organization_slug)
    if body_too_large(request):
        return _too_large(request, provider)
    process = request.POST.get("process") or request.GET.get("process") or AuthProcess.LOGIN
    if process != AuthProcess.LOGIN:
        return saml_refusal(request, provider,
                            "Connecting an identity to another account is not allowed.")
    try:
        return cast(HttpResponse, allauth_saml.login(request, organization_slug=organization_slug))
    except ImmediateHttpResponse as exc:
        return cast(HttpResponse, exc.response)


@require_GET
def metadata(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """The SP metadata, valid for PORTAL_SAML_SP_METADATA_VALID_DAYS from now."""
    from onelogin.saml2.settings import OneLogin_Saml2_Settings

    provider = _provider(request, organization_slug)
    app_settings = provider.app.settings
    advanced = {**app_settings.get("advanced", {}), "metadata_valid_until": int(
        time.time() + app_settings.get("portal_metadata_valid_seconds", 2 * 86400))}
    config = build_saml_config(request, {**app_settings, "advanced": advanced,
                                         "idp": {"entity_id": "-", "x509cert": "",
                                                 "sso_url": ""}},
                               organization_slug)
    saml_settings = OneLogin_Saml2_Settings(settings=config, sp_validation_only=True)
    return HttpResponse(saml_settings.get_sp_metadata(), content_type="text/xml")


def _slo_refused(request: HttpRequest, reason: str) -> HttpResponse:
    logger.warning("SAML logout message refused: %s", reason)
    audit_record(action="auth.sign_out_refused", request=request,
                 data={"provider": "saml", "reason": reason[:500]})
    return render(request, "portal/sign_out_refused.html", status=400)


@csrf_exempt  # the IdP sends these by redirect; the signature is what authenticates them
@require_GET
def sls(request: HttpRequest, organization_slug: str) -> HttpResponse:
    provider = _provider(request, organization_slug)
    if not ({"SAMLRequest", "SAMLResponse"} & set(request.GET)):
        return _slo_refused(request, "No logout message.")
    # python3-saml checks a redirect-binding signature only when one is present (unless
    # wantMessagesSigned, which would also demand signed Responses at the ACS): require it here.
    if "Signature" not in request.GET or "SigAlg" not in request.GET:
        return _slo_refused(request, "Unsigned logout message.")
    try:
        auth = _auth(request, provider)
    except ImmediateHttpResponse:
        return _slo_refused(request, "IdP metadata unavailable.")
    try:
        redirect_to = auth.process_slo(
            delete_session_cb=lambda: logout(request),
            keep_local_session=not request.user.is_authenticated,
        )
    except Exception as exc:  # noqa: BLE001 - malformed messages are refused, not 500s
        return _slo_refused(request, f"Malformed logout message ({exc.__class__.__name__}).")
    if auth.get_errors():
        return _slo_refused(request, auth.get_last_error_reason() or ", ".join(auth.get_errors()))
    idp_slo = auth.get_slo_response_url()
    if redirect_to and idp_slo and redirect_to.split("?", 1)[0] == idp_slo:
        return HttpResponseRedirect(redirect_to)
    # No IdP logout endpoint: python3-saml would fall back to RelayState, any site at all.
    return HttpResponseRedirect(reverse(settings.LOGOUT_REDIRECT_URL))


urlpatterns = [
    re_path(
        r"^saml/(?P<organization_slug>[^/]+)/",
        include([  # the names allauth's URLconf uses, so its reverse() calls keep working
            path("acs/", acs, name="saml_acs"),
            path("acs/finish/", finish_acs, name="saml_finish_acs"),
            path("sls/", sls, name="saml_sls"),
            path("metadata/", metadata, name="saml_metadata"),
            path("login/", login, name="saml_login"),
        ]),
    ),
]
