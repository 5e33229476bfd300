"""Usage against every limit that applies to a person: their own and their projects' (selector).

The same rows feed ``GET /api/v1/me/quota``, the dashboard and the request form. A constant
number of queries whatever the number of projects and environments.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import router
from django.db.models import QuerySet, Value

from portal.models import User
from portal.selectors import projects_for_user
from portal.statements import MARKER_ID, Slot, Statement
from quotas.checks import WHAT_COUNTS, amount_text
from quotas.limits import Grant, Limit, limits_of_grants
from quotas.models import ProjectQuota, UserQuota
from quotas.usage import Counted, counted, counted_in_projects, prices_for, usage_total


@dataclass(frozen=True)
class QuotaRow:
    """One limit and its use: ``scope`` "user" (``project`` empty) or "project"."""

    scope: str
    project: str
    measure: str
    label: str
    limit: Decimal
    used: Decimal
    unpriced: int
    granted_to: tuple[str, ...]
    counts: str

    @property
    def limit_text(self) -> str:
        return amount_text(self.measure, self.limit)

    @property
    def used_text(self) -> str:
        return amount_text(self.measure, self.used)

    @property
    def left(self) -> Decimal:
        return max(self.limit - self.used, Decimal("0"))

    @property
    def left_text(self) -> str:
        return amount_text(self.measure, self.left)

    @property
    def full(self) -> bool:
        return self.used >= self.limit


def quota_report(*, user: User) -> list[QuotaRow]:
    """The person's limits, then their projects' (by project name), with what is in use."""
    grants, caps = _grants_and_caps(user)
    if not grants and not caps:  # nothing limited: no usage to count, no prices to read
        return []
    mine = limits_of_grants(user=user, grants=grants)
    own: list[Counted] = counted(owner_id=user.pk) if mine else []
    theirs = counted_in_projects({c.project_id for c in caps})
    regions = {i.region for i in own} | {i.region for items in theirs.values() for i in items}
    prices = prices_for(regions)
    rows: list[QuotaRow] = []
    used = usage_total(own, prices=prices)
    for limit in mine.values():
        rows.append(_row("user", "", limit, used.of(limit.measure), used.unpriced))
    for cap in sorted(caps, key=lambda c: (c.project_name, c.measure)):
        total = usage_total(theirs[cap.project_id], prices=prices)
        limit = Limit(measure=cap.measure, amount=cap.amount)
        rows.append(_row("project", cap.project_slug, limit, total.of(cap.measure),
                         total.unpriced))
    return rows


@dataclass(frozen=True)
class _Cap:
    """A ``ProjectQuota`` of one of the person's active projects, with the project's names."""

    measure: str
    amount: Decimal
    project_id: int
    project_name: str
    project_slug: str


def _grants_and_caps_rows(user: int) -> QuerySet[UserQuota, Any]:
    """Every ``UserQuota`` (with its group's name) and the caps of the active projects of the
    person ``user`` (with the project's name and slug), one UNION ALL."""
    grants = (UserQuota.objects.order_by()
              .annotate(kind=Value("user"), slug=Value(""))
              .values_list("kind", "measure", "amount", "group_id", "group__name", "slug"))
    caps = (ProjectQuota.objects.order_by()
            .filter(project__in=projects_for_user(user=User(pk=user)).values("pk"))
            .annotate(kind=Value("project"))
            .values_list("kind", "measure", "amount", "project_id", "project__name",
                         "project__slug"))
    # UserQuota's own order (measure, group name) gives a limit's sources in their order.
    return grants.union(caps, all=True).order_by("kind", "measure", "group__name")


# Compiled once per process (portal.statements): building and compiling the UNION was most of
# the dashboard's quota panel, for the many people with no limit at all (issue 16).
_GRANTS_AND_CAPS = Statement(_grants_and_caps_rows, user=Slot(User._meta.pk, MARKER_ID))


def _grants_and_caps(user: User) -> tuple[list[Grant], list[_Cap]]:
    """Every ``UserQuota`` and the caps of the person's active projects in one statement
    (``_grants_and_caps_rows``): the dashboard and the request form read them on every visit
    (two statements before, issue 16)."""
    read: tuple[list[Grant], list[_Cap]] = ([], [])
    for kind, measure, amount, ref, name, slug in _GRANTS_AND_CAPS.rows(
            using=router.db_for_read(UserQuota), user=user.pk):
        if kind == "user":
            read[0].append(Grant(measure, amount, ref, name or ""))
        else:
            read[1].append(_Cap(measure, amount, ref, name, slug))
    return read


def _row(scope: str, project: str, limit: Limit, used: Decimal, unpriced: int) -> QuotaRow:
    return QuotaRow(scope=scope, project=project, measure=limit.measure, label=limit.label,
                    limit=limit.amount, used=used,
                    unpriced=unpriced if limit.measure == "daily_credits" else 0,
                    granted_to=limit.sources if scope == "user" else (), counts=WHAT_COUNTS[scope])
