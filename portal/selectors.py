"""Reads for people, projects and the audit trail, always scoped by the user asking."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, router
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
from portal.statements import MARKER_ID, Slot, Statement


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
# Stands in for the manager's id while the statement is compiled (the person's is MARKER_ID).
_MANAGER_MARKER = MARKER_ID + 1
_MEMBERSHIP_COLUMNS = ("id", "user_id", "project_id", "role")
_PROJECT_COLUMNS = tuple(f.attname for f in Project._meta.concrete_fields)


def _memberships_rows(user: int, manager: int | None) -> QuerySet[Membership, Any]:
    """``memberships_for_user``'s rows as values (the membership's columns, its project's, and
    with a ``manager`` the names ``display_name`` shows of that person: scalar subqueries by
    primary key, hand-written, as the ORM's ``Subquery`` cost more Python than it saved)."""
    rows = memberships_for_user(user=User(pk=user))
    names: list[str] = []
    if manager is not None:
        qn = connection.ops.quote_name
        table = qn(User._meta.db_table)
        rows = rows.annotate(**{
            f"manager_{name}": RawSQL(f"SELECT {qn(name)} FROM {table} WHERE id = %s",
                                      [manager], output_field=CharField())
            for name in MANAGER_SHOWN})
        names = [f"manager_{name}" for name in MANAGER_SHOWN]
    return rows.values_list(*_MEMBERSHIP_COLUMNS,
                            *(f"project__{column}" for column in _PROJECT_COLUMNS), *names)


# Compiled once per process (portal.statements): building the select_related queryset and its
# subqueries was most of the dashboard's own Python (issue 16).
_MEMBERSHIPS = Statement(lambda user: _memberships_rows(user, None),
                         user=Slot(User._meta.pk, MARKER_ID))
_MEMBERSHIPS_AND_MANAGER = Statement(_memberships_rows, user=Slot(User._meta.pk, MARKER_ID),
                                     manager=Slot(User._meta.pk, _MANAGER_MARKER))


def memberships_and_manager(*, user: User) -> tuple[list[Membership], User | None]:
    """The dashboard's projects (``memberships_for_user``, each with its project) and the
    person's manager (the names ``display_name`` shows), read together: the manager's names ride
    on each membership row (issue 16: one statement fewer on every dashboard). Someone in no
    project yet has their manager read on its own."""
    using = router.db_for_read(Membership)
    if user.manager_id is None:
        found = _MEMBERSHIPS.rows(using=using, user=user.pk)
    else:
        found = _MEMBERSHIPS_AND_MANAGER.rows(using=using, user=user.pk, manager=user.manager_id)
    split = len(_MEMBERSHIP_COLUMNS)
    end = split + len(_PROJECT_COLUMNS)
    memberships = []
    for row in found:
        membership = Membership.from_db(using, _MEMBERSHIP_COLUMNS, row[:split])
        membership.project = Project.from_db(using, _PROJECT_COLUMNS, row[split:end])
        memberships.append(membership)
    if user.manager_id is None:
        return memberships, None
    if not found:
        return memberships, User.objects.filter(pk=user.manager_id).only(*MANAGER_SHOWN).first()
    names = dict(zip(MANAGER_SHOWN, found[0][end:], strict=True))
    if names["username"] is None:  # the manager's account is gone (deleted meanwhile)
        return memberships, None
    return memberships, User(pk=user.manager_id, **names)


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
