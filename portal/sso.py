"""SAML sign-in glue for django-allauth: who may sign in as whom, stricter checks, auditing."""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from datetime import UTC, datetime
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.models import SocialAccount, SocialLogin
from allauth.socialaccount.providers.base.constants import AuthProcess
from allauth.socialaccount.providers.saml.provider import SAMLProvider
from allauth.socialaccount.providers.saml.utils import build_saml_config, prepare_django_request
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.errors import OneLogin_Saml2_ValidationError
from onelogin.saml2.response import OneLogin_Saml2_Response

from portal.saml_config import ENTRA_GROUPS_OVERAGE_CLAIM
from portal.services import ReplayedAssertion, audit_record, saml_assertion_consume

logger = logging.getLogger(__name__)

UID_MAX_LENGTH = 150  # User.username's column


class PortalAccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]  # the library ships no type hints
    """No self-service sign-up: people arrive through the IdP."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def clean_username(self, username: str, shallow: bool = False) -> str:
        """The IdP's uid is the username as sent; allauth's rules would blank ``BANK\\dana``.

        Only called on the SAML auto-signup path (no sign-up form exists). Uniqueness is decided
        before, in ``pre_social_login``, which refuses a uid held by another account.
        """
        problem = uid_problem(username)
        if problem:
            raise ValidationError(problem)
        return username

    def populate_username(self, request: HttpRequest, user: Any) -> None:
        """Keep the IdP's uid as the username; allauth would otherwise invent one (``user9``)."""
        if not user.username:
            raise ValueError("A person without a username cannot be saved.")


def uid_problem(uid: str) -> str:
    """Why the portal cannot use ``uid`` as a username as-is; empty when it can."""
    if not uid:
        return "The identity provider sent no user id."
    if len(uid) > UID_MAX_LENGTH:
        return f"The user id is longer than {UID_MAX_LENGTH} characters."
    if uid != uid.strip():
        return "The user id starts or ends with blank space."
    if any(unicodedata.category(ch).startswith("C") for ch in uid):
        return "The user id contains control characters."
    return ""


def saml_refusal(
    request: HttpRequest, provider: Any, reason: str, message: str = ""
) -> HttpResponse:
    """The sign-in failed page, with its ``auth.sign_in_failed`` audit event."""
    logger.warning("SAML sign-in refused: %s", reason)
    response: HttpResponse = render_authentication_error(
        request, provider, extra_context={"portal_reason": reason, "portal_message": message}
    )
    return response


def _fail(request: HttpRequest, provider: Any, reason: str, message: str = "") -> Exception:
    error: Exception = ImmediateHttpResponse(saml_refusal(request, provider, reason, message))
    return error


class PortalSocialAccountAdapter(DefaultSocialAccountAdapter):  # type: ignore[misc]  # the library ships no type hints
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """One SAML identity is one portal user, found by the IdP's uid and nothing else.

        A first sign-in takes over a person pre-provisioned (by an admin or ``seed_demo``) under
        exactly that username, unless that person is a local (break-glass) account or already has
        an identity: never a merge.
        """
        if sociallogin.state.get("process", AuthProcess.LOGIN) != AuthProcess.LOGIN:
            raise _fail(request, sociallogin.account.get_provider(),
                        "Connecting an identity to another account is not allowed.")
        if sociallogin.is_existing:
            return
        from portal.models import User

        uid = sociallogin.account.uid
        existing = User.objects.filter(username=uid).first()
        if existing is None:
            return
        local = bool(existing.password) and existing.has_usable_password()
        if local or SocialAccount.objects.filter(user=existing).exists():
            raise _fail(
                request, sociallogin.account.get_provider(),
                "The user id belongs to another portal account (local or linked).",
                "Your user id is already used by another portal account. "
                "Contact the platform team.",
            )
        sociallogin.connect(request, existing)

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: Any) -> Any:
        user = super().populate_user(request, sociallogin, data)
        user.username = sociallogin.account.uid
        return user

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: dict[str, Any] | None = None,
    ) -> None:
        context = extra_context or {}
        reason = context.get("saml_last_error_reason") or context.get("portal_reason") or ""
        if not reason and exception is not None:
            reason = exception.__class__.__name__
        audit_record(
            action="auth.sign_in_failed",
            request=request,
            data={
                "provider": getattr(provider, "id", str(provider)),
                "error": str(error or "unknown"),
                "errors": list(context.get("saml_errors") or []),
                "reason": str(reason)[:500],
            },
        )


NSMAP = OneLogin_Saml2_Constants.NSMAP


class PortalSamlResponse(OneLogin_Saml2_Response):  # type: ignore[misc]  # the library ships no type hints
    """python3-saml's checks, plus three it leaves out (all read from the signed assertion).

    - every ``AudienceRestriction`` names this portal (the library accepts the union of all);
    - with a request id, each bearer ``SubjectConfirmationData/@InResponseTo`` equals it (the
      library compares it with the unsigned Response's attribute, so an IdP-initiated assertion
      re-wrapped into a Response naming our request would pass);
    - the assertion has a subject.
    """

    def is_valid(
        self, request_data: dict[str, Any], request_id: str | None = None,
        raise_exceptions: bool = False,
    ) -> bool:
        if not super().is_valid(request_data, request_id, raise_exceptions):
            return False
        try:
            self._check_portal_rules(request_id)
        except OneLogin_Saml2_ValidationError as err:
            self._error = str(err)
            if raise_exceptions:
                raise
            return False
        return True

    def _check_portal_rules(self, request_id: str | None) -> None:
        sp_entity_id = self._settings.get_sp_data()["entityId"]
        for restriction in self._query_assertion("/saml:Conditions/saml:AudienceRestriction"):
            audiences = {
                (a.text or "").strip() for a in restriction.findall("saml:Audience", NSMAP)
            }
            if sp_entity_id not in audiences:
                raise OneLogin_Saml2_ValidationError(
                    "An AudienceRestriction of the assertion excludes this portal (audience)."
                )
        if not self._query_assertion("/saml:Subject"):
            raise OneLogin_Saml2_ValidationError("The assertion names no subject.")
        if request_id is not None:
            answers = [
                data.get("InResponseTo")
                for data in self._query_assertion(
                    "/saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData"
                )
            ]
            if not answers or any(answer != request_id for answer in answers):
                raise OneLogin_Saml2_ValidationError(
                    "The signed assertion does not answer this browser's request (InResponseTo)."
                )


class PortalSAMLProvider(SAMLProvider):  # type: ignore[misc]  # the library ships no type hints
    """allauth's SAML provider: uid taken as the IdP sends it, one-time use of assertions."""

    def extract_uid(self, data: Any) -> str:
        uid = super().extract_uid(data)
        uid = "" if uid is None else str(uid)
        if self.app.settings.get("portal_uid_case") == "lower":
            uid = uid.lower()
        return uid

    def redirect(self, request: HttpRequest, process: Any, next_url: Any = None,
                 data: Any = None, **kwargs: Any) -> HttpResponse:
        """allauth's redirect to the IdP, with this module's Auth (metadata outage handled)."""
        try:
            auth = saml_auth(request, self)
        except MetadataUnavailable:
            raise _fail(request, self, "IdP metadata unavailable.",
                        "The identity provider cannot be reached right now. Try again in a "
                        "few minutes; the health check reports it to the platform team.") from None
        location = auth.login(return_to="")
        self.stash_redirect_state(request, process, next_url, data,
                                  state_id=auth.get_last_request_id(), **kwargs)
        return HttpResponseRedirect(location)

    def sociallogin_from_response(self, request: HttpRequest, response: Any) -> SocialLogin:
        """Build the login, after the uid check and the assertion's one-time use.

        The view calls this only once the response answers a request this browser started, so a
        stranger replaying a captured response cannot burn the rightful sign-in.
        """
        if ENTRA_GROUPS_OVERAGE_CLAIM in (response.get_attributes() or {}):
            raise _fail(request, self, "Entra groups overage claim: groups not sent.",
                        "You are in more groups than the identity provider puts in a sign-in "
                        "message, so your roles cannot be read. Ask the platform team to "
                        "limit the groups sent to this application (groups assigned to the "
                        "application).")
        problem = uid_problem(self.extract_uid(response))
        if problem:
            raise _fail(request, self, f"Unusable user id: {problem}",
                        f"{problem} The portal cannot create your account; contact the "
                        "platform team.")
        assertion_id = response.get_last_assertion_id()
        if not assertion_id:
            raise _fail(request, self, "The response carries no assertion id.")
        expires = response.get_last_assertion_not_on_or_after()
        not_on_or_after = datetime.fromtimestamp(expires, tz=UTC) if expires else None
        try:
            saml_assertion_consume(assertion_id=assertion_id, not_on_or_after=not_on_or_after)
        except ReplayedAssertion:
            raise _fail(request, self, "This SAML assertion was already used (replay).") from None
        return super().sociallogin_from_response(request, response)


def portal_attribute_names() -> dict[str, list[str]]:
    for app in settings.SOCIALACCOUNT_PROVIDERS.get("saml", {}).get("APPS", []):
        return dict(app["settings"].get("portal_attributes", {}))
    return {}


class MetadataUnavailable(Exception):
    """The IdP metadata URL cannot be read and no earlier copy is at hand."""


METADATA_STATUS_KEY = "portal.saml.metadata.status"


def metadata_cache_key(url: str) -> str:
    return "portal.saml.metadata." + hashlib.sha256(url.encode()).hexdigest()


def idp_metadata(idp: dict[str, Any]) -> dict[str, Any]:
    """The IdP part of python3-saml's settings from the metadata URL, cached, refetched on expiry.

    Unlike allauth's fetch, a failed refetch keeps the last good copy in use (sign-in keeps
    working through an IdP outage of its metadata endpoint) and records the failure for /healthz.
    """
    from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

    url = idp["metadata_url"]
    key = metadata_cache_key(url)
    fresh = cache.get(key)
    if fresh is not None:
        return dict(fresh)
    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse_remote(
            url, entity_id=idp["entity_id"], timeout=idp.get("metadata_request_timeout", 10)
        )["idp"]
        if not parsed.get("entityId"):
            raise ValueError(f"no IdP {idp['entity_id']!r} in the metadata")
    except Exception as exc:  # noqa: BLE001 - network, TLS, XML: all mean "unavailable"
        cache.set(METADATA_STATUS_KEY, {"ok": False, "error": exc.__class__.__name__}, None)
        logger.warning("IdP metadata %s unavailable: %s", url, exc.__class__.__name__)
        last = cache.get(key + ".last")
        if last is None:
            raise MetadataUnavailable(url) from exc
        return dict(last)
    cache.set(key, parsed, idp.get("metadata_cache_timeout", 3600))
    cache.set(key + ".last", parsed, None)
    cache.set(METADATA_STATUS_KEY, {"ok": True, "error": ""}, None)
    return dict(parsed)


def saml_metadata_problem() -> str:
    """For /healthz: why the last metadata fetch failed, or empty."""
    status = cache.get(METADATA_STATUS_KEY)
    return "" if status is None or status["ok"] else f"IdP metadata unavailable ({status['error']})"


def saml_auth(request: HttpRequest, provider: Any) -> OneLogin_Saml2_Auth:
    """python3-saml's Auth for ``provider``: every metadata signing certificate, stricter responses.

    allauth's ``build_auth`` passes one certificate for a metadata file and fetches a metadata
    URL itself (a 500 when it is down); this one does neither.
    """
    app_settings = provider.app.settings
    idp = app_settings["idp"]
    if idp.get("metadata_url"):
        idp_config = idp_metadata(idp)
        placeholder = {"entity_id": idp["entity_id"], "x509cert": "", "sso_url": ""}
        config = build_saml_config(request, {**app_settings, "idp": placeholder},
                                   provider.app.client_id)
        config["idp"] = idp_config
    else:
        config = build_saml_config(request, app_settings, provider.app.client_id)
        if len(idp.get("x509cert_multi") or []) > 1:
            config["idp"]["x509certMulti"] = {"signing": list(idp["x509cert_multi"])}
    auth = OneLogin_Saml2_Auth(prepare_django_request(request), config)
    auth.response_class = PortalSamlResponse
    return auth


class SessionRoleLifetimeMiddleware:
    """End a SAML session whose roles are older than PORTAL_SESSION_ROLE_SECONDS.

    Roles are what the IdP said at the last sign-in; a group removed in the IdP reaches the
    portal at the next one. Ending the session after a short lifetime sends the person back
    through the IdP (one click while its session lasts), so a removed role stops working within
    minutes instead of at the end of an eight-hour session. Break-glass sessions are left alone.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and self._stale(request, user):
            from django.contrib.auth import logout

            audit_record(action="auth.session_roles_expired", actor=user, request=request,
                         data={"signed_in_at": user.last_saml_sign_in.isoformat()})
            logout(request)
        response: HttpResponse = self.get_response(request)
        return response

    @staticmethod
    def _stale(request: HttpRequest, user: Any) -> bool:
        backend = request.session.get("_auth_user_backend", "")
        if "allauth" not in backend or user.last_saml_sign_in is None:
            return False
        age: float = (timezone.now() - user.last_saml_sign_in).total_seconds()
        return age > settings.PORTAL_SESSION_ROLE_SECONDS
