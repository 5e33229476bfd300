"""Receivers that only hand over to services: sign-in sync and auth auditing."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import user_logged_in as allauth_user_logged_in
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest

from portal.logs import request_context_start
from portal.metrics import email_failed
from portal.models import User
from portal.notifications import email_failure_recorded
from portal.services import audit_record, user_sync_from_saml


@receiver(allauth_user_logged_in)
def sync_user_on_saml_sign_in(
    sender: Any, request: HttpRequest, user: User, sociallogin: Any = None, **kwargs: Any
) -> None:
    if sociallogin is None or sociallogin.account.provider != "saml":
        return
    from portal.sso import portal_attribute_names

    user_sync_from_saml(
        user=user,
        raw_attributes=sociallogin.account.extra_data or {},
        attribute_names=portal_attribute_names(),
        request=request,
    )


@receiver(user_logged_in)
def audit_sign_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    backend = getattr(user, "backend", "") or ""
    method = "saml" if "allauth" in backend else "local"
    audit_record(action="auth.sign_in", actor=user, request=request, data={"method": method})


@receiver(user_logged_out)
def audit_sign_out(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action="auth.sign_out", actor=user, request=request)


@receiver(user_login_failed)
def audit_local_sign_in_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    audit_record(
        action="auth.sign_in_failed",
        request=request,
        actor_username=str(credentials.get("username", ""))[:150],
        data={"provider": "local", "reason": "bad credentials"},
    )


@receiver(request_finished)
def forget_request_id(sender: Any, **kwargs: Any) -> None:
    """The next log line of this thread belongs to no request until the next one starts."""
    request_context_start(None)


@receiver(email_failure_recorded)
def count_failed_email(sender: Any, kind: str, attempts: int, **kwargs: Any) -> None:
    """A notification given up on counts in /metrics (portal_email_failures_total)."""
    email_failed(kind=kind)
