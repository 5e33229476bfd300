"""The SCIM bearer token: made by a platform admin (page or ``manage.py scim_token``), shown
once, kept as a SHA-256 digest, checked on every /scim/v2 call."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from identity.models import ScimToken
from identity.scim_protocol import ScimError
from portal.models import User
from portal.services import audit_record

KEY_PREFIX = "scim_"


def scim_token_create(*, name: str, actor: User | None = None,
                      request: HttpRequest | None = None) -> tuple[ScimToken, str]:
    """A new token; returns it and its key, which is never stored or logged."""
    name = " ".join(name.split())[:100]
    if not name:
        raise ValueError("Give the token a name (which IdP uses it).")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ScimToken.objects.create(name=name, digest=ScimToken.digest_of(key),
                                         created_by=actor.username if actor else "")
        audit_record(action="scim.token_created", actor=actor, request=request, obj=token,
                     actor_username="" if actor else "manage.py", data={"name": name})
    return token, key


def scim_token_revoke(*, token: ScimToken, actor: User | None = None,
                      request: HttpRequest | None = None) -> bool:
    with transaction.atomic():
        locked = ScimToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            return False
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(action="scim.token_revoked", actor=actor, request=request, obj=locked,
                     actor_username="" if actor else "manage.py", data={"name": locked.name})
    return True


def scim_token_check(request: HttpRequest) -> ScimToken:
    """The live token the request's ``Authorization: Bearer`` names, else a SCIM 401."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ScimError(401, "A SCIM bearer token is required.")
    token = ScimToken.objects.filter(digest=ScimToken.digest_of(key.strip()),
                                     revoked_at__isnull=True).first()
    if token is None:
        raise ScimError(401, "The SCIM token is not valid.")
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)  # at most once a minute
    return token
