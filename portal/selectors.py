"""Reads for people, projects and the audit trail, always scoped by the user asking."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Upper
from django.shortcuts import get_object_or_404
from django.utils import timezone

from portal.models import (
    ApiToken,
    AuditEvent,
    FailedEmail,
    Membership,
    Notification,
    Project,
    User,
)


def projects_for_user(*, user: User) -> QuerySet[Project]:
    """Active projects the user is a member of."""
    if not user.is_authenticated:
        return Project.objects.none()
    return Project.objects.filter(memberships__user=user, active=True).distinct()


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, project__active=True)
        .select_related("project")
        .order_by("project__name")
    )


MANAGER_SHOWN = ("first_name", "last_name", "username")


def memberships_and_manager(*, user: User) -> tuple[list[Membership], User | None]:
    """The dashboard's projects (``memberships_for_user``) and the person's manager (the names
    ``display_name`` shows), read together: the manager's names ride on each membership row as
    a scalar subquery by primary key, hand-written (issue 16: one statement fewer on every
    dashboard; built with ``Subquery`` the ORM spent more Python than the statement saved).
    Someone in no project yet has their manager read on its own."""
    if user.manager_id is None:
        return list(memberships_for_user(user=user)), None
    qn = connection.ops.quote_name
    table = qn(User._meta.db_table)
    rows = list(memberships_for_user(user=user).annotate(**{
        f"manager_{name}": RawSQL(f"SELECT {qn(name)} FROM {table} WHERE id = %s",
                                  [user.manager_id], output_field=CharField())
        for name in MANAGER_SHOWN}))
    if not rows:
        return rows, User.objects.filter(pk=user.manager_id).only(*MANAGER_SHOWN).first()
    names = {name: getattr(rows[0], f"manager_{name}") for name in MANAGER_SHOWN}
    if names["username"] is None:  # the manager's account is gone (deleted meanwhile)
        return rows, None
    return rows, User(pk=user.manager_id, **names)


def local_sign_in_locked(*, username: str, source_ip: str | None) -> bool:
    """Too many recent failed local sign-ins for this account from this address.

    Counted per account *and* address, so nobody can lock the break-glass account out from
    elsewhere; the failures are the audit trail's own ``auth.sign_in_failed`` events. Sign-in
    matches usernames case-insensitively (allauth's backend), so failures are counted that way
    too: ``Cole.Colleague`` and ``cole.colleague`` are one account, one counter.
    """
    since = timezone.now() - timedelta(seconds=settings.PORTAL_LOCAL_LOGIN_LOCKOUT_SECONDS)
    failures = AuditEvent.objects.filter(
        action="auth.sign_in_failed", actor_username__iexact=username, source_ip=source_ip,
        at__gte=since, data__provider="local",
    ).count()
    return failures >= settings.PORTAL_LOCAL_LOGIN_MAX_FAILURES


def api_token_user(*, key: str) -> tuple[User, ApiToken] | None:
    """The active person an unexpired API token belongs to, looked up by the key's digest."""
    token = (ApiToken.objects.select_related("user")
             .filter(digest=ApiToken.digest_of(key), expires_at__gt=timezone.now()).first())
    if token is None or not token.user.is_active:
        return None
    return token.user, token


def api_token_for_user(*, user: User) -> ApiToken | None:
    return ApiToken.objects.filter(user=user).first()


def audit_trail_visible_to(*, user: User) -> bool:
    return user.is_authenticated and (user.is_auditor or user.is_catalog_admin)


def audit_events_for_user(
    *,
    user: User,
    action: str = "",
    actor: str = "",
    project: str = "",
    obj: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The audit trail for auditors and platform admins; anybody else is refused."""
    if not audit_trail_visible_to(user=user):
        raise PermissionDenied("Only auditors and platform admins read the audit trail.")
    events = AuditEvent.objects.select_related("project").order_by("-at", "-id")
    if action:
        events = events.filter(action__startswith=action)
    if actor:
        # The expression of the index portal_audit_actor_upper, on both sides.
        events = events.alias(actor_upper=Upper("actor_username")).filter(
            actor_upper=Upper(Value(actor, output_field=CharField())))
    if project:
        events = events.filter(project__slug=project)
    if obj:
        events = events.filter(Q(object_repr__icontains=obj) | Q(object_id=obj))
    # Days as a range of `at` (the index), not `at__date`, which casts every row's timestamp.
    if since:
        events = events.filter(at__gte=_day_start(since))
    if until:
        events = events.filter(at__lt=_day_start(until + timedelta(days=1)))
    return events


def _day_start(day: date) -> datetime:
    """Midnight of that day in the portal's time zone (the one ``at__date`` used)."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def failed_emails_for_user(*, user: User) -> tuple[int, FailedEmail | None] | None:
    """For platform admins: how many notifications were given up on, and the latest one.
    Anybody else: ``None`` (the dashboard shows them nothing about it)."""
    if not (user.is_authenticated and user.is_catalog_admin):
        return None
    return FailedEmail.objects.count(), FailedEmail.objects.first()


def notifications_for_user(*, user: User) -> QuerySet[Notification]:
    """The user's own notices, newest first (anybody else's are out of scope)."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user)


def notification_for_user(*, user: User, pk: object) -> Notification:
    """One of the user's notices; Http404 for anyone else's."""
    return get_object_or_404(notifications_for_user(user=user), pk=pk)


def notifications_unread(*, user: User) -> QuerySet[Notification]:
    return notifications_for_user(user=user).filter(read_at__isnull=True)
