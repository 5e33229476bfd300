"""SAML sign-in glue for django-allauth: who may sign in as whom, stricter checks, auditing."""

from __future__ import annotations

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
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.errors import OneLogin_Saml2_ValidationError
from onelogin.saml2.response import OneLogin_Saml2_Response

from portal.services import ReplayedAssertion, audit_record, saml_assertion_consume

logger = logging.getLogger(__name__)

UID_MAX_LENGTH = 150  # User.username's column


class PortalAccountAdapter(DefaultAccountAdapter):
    """No self-service sign-up: people arrive through the IdP."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

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
    return render_authentication_error(
        request, provider, extra_context={"portal_reason": reason, "portal_message": message}
    )


def _fail(request: HttpRequest, provider: Any, reason: str, message: str = "") -> Exception:
    return ImmediateHttpResponse(saml_refusal(request, provider, reason, message))


class PortalSocialAccountAdapter(DefaultSocialAccountAdapter):
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


class PortalSamlResponse(OneLogin_Saml2_Response):
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


class PortalSAMLProvider(SAMLProvider):
    """allauth's SAML provider: uid taken as the IdP sends it, one-time use of assertions."""

    def extract_uid(self, data: Any) -> str:
        uid = super().extract_uid(data)
        uid = "" if uid is None else str(uid)
        if self.app.settings.get("portal_uid_case") == "lower":
            uid = uid.lower()
        return uid

    def sociallogin_from_response(self, request: HttpRequest, response: Any) -> SocialLogin:
        """Build the login, after the uid check and the assertion's one-time use.

        The view calls this only once the response answers a request this browser started, so a
        stranger replaying a captured response cannot burn the rightful sign-in.
        """
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
