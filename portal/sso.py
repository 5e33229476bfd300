"""SAML sign-in glue for django-allauth: who may sign up, replay protection, failure auditing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.saml.provider import SAMLProvider
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from portal.services import ReplayedAssertion, audit_record, saml_assertion_consume

logger = logging.getLogger(__name__)


class PortalAccountAdapter(DefaultAccountAdapter):
    """No self-service sign-up: people arrive through the IdP."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


class PortalSocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Link a first SAML sign-in to a person pre-provisioned under the same uid.

        Admins and ``seed_demo`` create people (and their memberships) before they first sign in;
        the IdP is the authority for uids, so its uid identifies them.
        """
        if sociallogin.is_existing:
            return
        from portal.models import User

        existing = User.objects.filter(username=sociallogin.account.uid[:150]).first()
        if existing is not None:
            sociallogin.connect(request, existing)

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: Any) -> Any:
        user = super().populate_user(request, sociallogin, data)
        user.username = sociallogin.account.uid[:150]
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


def _fail(request: HttpRequest, provider: SAMLProvider, reason: str) -> ImmediateHttpResponse:
    logger.warning("SAML sign-in refused: %s", reason)
    response = render_authentication_error(
        request, provider, extra_context={"portal_reason": reason}
    )
    return ImmediateHttpResponse(response)


class PortalSAMLProvider(SAMLProvider):
    """allauth's SAML provider plus one-time use of assertions."""

    def sociallogin_from_response(self, request: HttpRequest, response: Any) -> SocialLogin:
        if not response.get_last_response_in_response_to():
            raise _fail(
                request, self, "IdP-initiated sign-in is not accepted; start at the portal."
            )
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

    def unstash_redirect_state(self, request: HttpRequest, state_id: str) -> dict[str, Any]:
        try:
            return super().unstash_redirect_state(request, state_id)
        except PermissionDenied:
            raise _fail(
                request, self, "The response answers no sign-in started from this browser."
            ) from None


def portal_attribute_names() -> dict[str, list[str]]:
    for app in settings.SOCIALACCOUNT_PROVIDERS.get("saml", {}).get("APPS", []):
        return dict(app["settings"].get("portal_attributes", {}))
    return {}
