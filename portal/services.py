"""Writes for people, roles and the audit trail."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from portal.middleware import client_ip
from portal.models import ApiToken, AuditEvent, Project, Role, SeenAssertion, User


class ReplayedAssertion(Exception):
    """A SAML assertion id that was already used to sign in."""


def audit_record(
    *,
    action: str,
    actor: User | None = None,
    request: HttpRequest | None = None,
    obj: models.Model | None = None,
    project: Project | None = None,
    data: Mapping[str, Any] | None = None,
    actor_username: str = "",
) -> AuditEvent:
    """Append one event to the audit trail. Never pass secrets or presigned URLs in ``data``."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_username=actor.username if actor else actor_username,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:300] if obj is not None else "",
        project=project,
        data=dict(data or {}),
        source_ip=client_ip(request) if request is not None else None,
        request_id=getattr(request, "request_id", "") if request is not None else "",
    )


def api_token_rotate(*, user: User, request: HttpRequest | None = None) -> str:
    """Replace the user's API token; returns the new key, which is shown once and never logged.

    Only its digest is stored. It expires after PORTAL_API_TOKEN_DAYS; it acts with the roles
    the person holds at each call (the user row the IdP last updated), never a copy.
    """
    key = secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(days=settings.PORTAL_API_TOKEN_DAYS)
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)  # serialises concurrent rotations
        ApiToken.objects.filter(user=user).delete()
        ApiToken.objects.create(user=user, digest=ApiToken.digest_of(key), expires_at=expires_at)
        audit_record(action="api_token.rotated", request=request, obj=user,
                     data={"expires_at": expires_at.isoformat()})
    return key


def saml_assertion_consume(*, assertion_id: str, not_on_or_after: datetime | None) -> None:
    """Record an assertion id as used; raise ReplayedAssertion if it was used before."""
    now = timezone.now()
    try:
        with transaction.atomic():
            SeenAssertion.objects.create(
                assertion_id=assertion_id,
                not_on_or_after=not_on_or_after or now + timedelta(hours=1),
            )
    except IntegrityError:
        raise ReplayedAssertion(assertion_id) from None


def saml_assertions_prune() -> int:
    """Forget assertion ids a day past their expiry: python3-saml refuses them anyway by then."""
    cutoff = timezone.now() - timedelta(days=1)
    deleted, _ = SeenAssertion.objects.filter(not_on_or_after__lt=cutoff).delete()
    return deleted


def _dn_normal(value: str) -> str:
    """An LDAP DN compared as directories do: case-insensitive, no blanks around separators."""
    return ",".join(part.strip().lower() for part in value.split(",")) if "=" in value else value


def _common_name(group: str) -> str:
    """The CN of a DN (``CN=ml-platform-admins,OU=Groups,...`` -> ``ml-platform-admins``)."""
    first, _, _ = group.partition(",")
    key, sep, value = first.partition("=")
    return value.strip() if sep and key.strip().lower() == "cn" else ""


def sessions_clear_expired() -> None:
    """Delete expired sessions (Django's ``clearsessions``), run from beat."""
    from importlib import import_module

    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


def roles_for_groups(groups: Iterable[str]) -> list[str]:
    """Roles granted by the IdP's groups: a granting DN matches the whole DN, a name the CN."""
    held: set[str] = set()
    for group in groups:
        held.add(group)
        held.add(_dn_normal(group))
        held.add(_common_name(group))
    held.discard("")
    return sorted(
        role
        for role, granting in settings.PORTAL_ROLE_GROUPS.items()
        if role in Role.values and held.intersection(_dn_normal(g) for g in granting)
    )


def group_names_match(*, held: Iterable[str], wanted: str) -> bool:
    """Whether groups ``held`` include ``wanted`` as ``roles_for_groups`` compares them: a DN
    matches the whole DN (case-insensitively), a plain name also matches a held DN's CN."""
    names: set[str] = set()
    for group in held:
        names.update({group, _dn_normal(group), _common_name(group)})
    names.discard("")
    return _dn_normal(wanted.strip()) in names


def owner_id_for(*, user: User, attributes: Mapping[str, str]) -> str:
    values = {
        "username": user.username,
        "email": user.email,
        "aws_role_id": attributes.get("aws_role_id") or settings.PORTAL_AWS_ROLE_ID,
    }
    try:
        return settings.PORTAL_OWNER_ID_TEMPLATE.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        template = settings.PORTAL_OWNER_ID_TEMPLATE
        raise ValueError(f"PORTAL_OWNER_ID_TEMPLATE {template!r} cannot be filled: {exc}") from exc


def _first(attributes: Mapping[str, list[str]], names: Iterable[str]) -> str:
    for name in names:
        values = attributes.get(name) or []
        if values and str(values[0]).strip():
            return str(values[0]).strip()
    return ""


def _all(attributes: Mapping[str, list[str]], names: Iterable[str]) -> list[str]:
    for name in names:
        values = attributes.get(name)
        if values:
            return sorted({str(v).strip() for v in values if str(v).strip()})
    return []


def _manager_lookup(ref: str, *, exclude: User) -> User | None:
    if not ref:
        return None
    return (
        User.objects.filter(Q(username=ref) | Q(email__iexact=ref))
        .exclude(pk=exclude.pk)
        .order_by("pk")
        .first()
    )


@transaction.atomic
def user_sync_from_saml(
    *,
    user: User,
    raw_attributes: Mapping[str, list[str]],
    attribute_names: Mapping[str, list[str]],
    request: HttpRequest | None = None,
) -> User:
    """Apply the IdP's view of a person at sign-in: profile, manager, groups, roles, owner id."""
    fields = {
        key: _first(raw_attributes, attribute_names.get(key, [key]))
        for key in ("email", "first_name", "last_name", "department", "cost_center", "manager",
                    "aws_role_id")
    }
    groups = _all(raw_attributes, attribute_names.get("groups", ["groups"]))
    before_roles = list(user.roles or [])

    user.email = fields["email"]
    user.first_name = fields["first_name"][:150]
    user.last_name = fields["last_name"][:150]
    user.department = fields["department"][:200]
    user.cost_center = fields["cost_center"][:100]
    user.manager_ref = fields["manager"][:254]
    user.manager = _manager_lookup(user.manager_ref, exclude=user)
    user.idp_groups = groups
    user.roles = roles_for_groups(groups)
    user.is_staff = Role.CATALOG_ADMIN in user.roles
    user.owner_id = owner_id_for(user=user, attributes=fields)[:256]
    user.last_saml_sign_in = timezone.now()
    user.save()

    group_objects = [Group.objects.get_or_create(name=name[:150])[0] for name in groups]
    user.groups.set(group_objects)

    # People who named this user as manager before this user ever signed in.
    # (No placeholder for a missing email: PostgreSQL refuses NUL bytes in text parameters.)
    named_here = Q(manager_ref=user.username)
    if user.email:
        named_here |= Q(manager_ref__iexact=user.email)
    User.objects.filter(manager__isnull=True).filter(named_here).exclude(pk=user.pk).update(
        manager=user
    )

    if before_roles != user.roles:
        audit_record(
            action="user.roles_changed",
            actor=user,
            request=request,
            obj=user,
            data={
                "before": before_roles,
                "after": user.roles,
                "added": sorted(set(user.roles) - set(before_roles)),
                "removed": sorted(set(before_roles) - set(user.roles)),
            },
        )
    return user


def user_time_zone_set(*, user: User, name: str, http_request: HttpRequest | None = None) -> bool:
    """Someone sets their own time zone (an IANA name; blank: the portal's default). Raises
    ``ValidationError`` for anything else; returns False when it was already that. Audited."""
    from portal.time_zones import time_zone_validate

    value = (name or "").strip()
    time_zone_validate(value)
    if value == user.time_zone:
        return False
    before = user.time_zone
    user.time_zone = value
    user.save(update_fields=["time_zone"])
    audit_record(action="user.time_zone_changed", actor=user, request=http_request, obj=user,
                 data={"before": before, "after": value})
    return True
