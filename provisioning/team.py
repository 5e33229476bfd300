"""The project view for project leads and line managers: reads, always scoped by the user asking.

Who sees what of a project (anybody else gets a 404, as for any object out of scope):

- a lead of the (active) project, and a platform admin: all of it, every member's environments
  and requests, the project's month-to-date cost against its monthly budget;
- a line manager: only what their direct reports own or asked for in the project (the month to
  date of those environments; the budget is shown for scale), when at least one of their
  active reports is a member of the project or has something in it.

Every list is a constant number of queries whatever the project's size (metering reads the
status edges of all its environments in one query).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from approvals.models import Request
from portal.models import Membership, Project, User
from provisioning import metering
from provisioning.actuals import ProjectActuals, project_actuals
from provisioning.models import Environment

REQUEST_RELATED = ("requester", "project", "product", "version")
ENVIRONMENT_RELATED = ("owner", "project", "product", "version")


@dataclass(frozen=True)
class ProjectScope:
    """What of ``project`` the user may see: everything (``whole``) or their reports' part."""

    project: Project
    whole: bool
    reports: frozenset[int] = frozenset()  # user ids, when not whole

    def owned(self, field_name: str) -> Q:
        return Q() if self.whole else Q(**{f"{field_name}__in": self.reports})


def _reports(user: User) -> QuerySet[User]:
    return User.objects.filter(manager=user, is_active=True)


def projects_viewable(*, user: User) -> QuerySet[Project]:
    """Active projects whose view the user may open: led, any for admins, or where a report
    of theirs is a member or owns or asked for something. One query."""
    if not user.is_authenticated or not user.is_active:
        return Project.objects.none()
    projects = Project.objects.filter(active=True)
    if user.is_catalog_admin:
        return projects.order_by("name")
    reports = _reports(user).values("pk")
    led = Exists(Membership.objects.filter(project=OuterRef("pk"), user=user,
                                           role=Membership.ProjectRole.LEAD))
    member = Exists(Membership.objects.filter(project=OuterRef("pk"), user__in=reports))
    owns = Exists(Environment.objects.filter(project=OuterRef("pk"), owner__in=reports))
    asked = Exists(Request.objects.filter(project=OuterRef("pk"), requester__in=reports))
    return projects.filter(led | member | owns | asked).order_by("name")


def has_project_view(*, user: User) -> bool:
    """Whether the menu offers "Projects" (one query)."""
    return projects_viewable(user=user).exists()


def project_scope_for_user(*, user: User, slug: str) -> ProjectScope:
    """The user's scope in the project with this slug; Http404 when they have none."""
    project = projects_viewable(user=user).filter(slug=str(slug)[:60]).first()
    if project is None:
        raise Http404("No such project.")
    if user.is_catalog_admin or Membership.objects.filter(
            project=project, user=user, role=Membership.ProjectRole.LEAD).exists():
        return ProjectScope(project=project, whole=True)
    return ProjectScope(project=project, whole=False,
                        reports=frozenset(_reports(user).values_list("pk", flat=True)))


def project_environments(*, scope: ProjectScope, terminated: bool = False
                         ) -> QuerySet[Environment]:
    environments = (Environment.objects.filter(project=scope.project)
                    .filter(scope.owned("owner")).select_related(*ENVIRONMENT_RELATED)
                    .order_by("owner__username", "-created_at", "pk"))
    if not terminated:
        environments = environments.exclude(status=Environment.Status.TERMINATED)
    return environments


def project_requests(*, scope: ProjectScope) -> QuerySet[Request]:
    return (Request.objects.filter(project=scope.project).filter(scope.owned("requester"))
            .select_related(*REQUEST_RELATED).order_by("-created_at", "pk"))


@dataclass
class PersonSpend:
    user: User
    month_to_date: Decimal = Decimal("0.00")
    environments: int = 0


@dataclass
class ProjectSummary:
    """What the project view shows (figures in USD; month to date from the 1st, UTC)."""

    scope: ProjectScope
    now: datetime
    environments: list[Environment]
    costs: dict[Any, metering.EnvironmentCost]
    requests: list[Request]
    month_to_date: Decimal
    people: list[PersonSpend] = field(default_factory=list)
    actuals: ProjectActuals | None = None

    @property
    def project(self) -> Project:
        return self.scope.project

    @property
    def budget(self) -> Decimal:
        return self.project.monthly_budget

    @property
    def budget_used_percent(self) -> Decimal | None:
        if not self.budget:
            return None
        return (self.month_to_date * 100 / self.budget).quantize(Decimal("0.1"))

    def rows(self) -> Iterator[tuple[Environment, metering.EnvironmentCost]]:
        for environment in self.environments:
            yield environment, self.costs[environment.pk]

    def rows_with_actuals(self) -> Iterator[tuple[Environment, metering.EnvironmentCost,
                                                  Decimal | None]]:
        """(environment, metered cost, Cost Explorer's month to date or None)."""
        found = self.actuals.by_environment if self.actuals else {}
        for environment in self.environments:
            yield environment, self.costs[environment.pk], found.get(environment.pk)


def project_summary(*, scope: ProjectScope, now: datetime | None = None,
                    requests_limit: int = 100) -> ProjectSummary:
    """The project view's content. Seven queries whatever the size: environments alive this
    month, their status edges, instance and storage prices, the latest requests, and Cost
    Explorer's actuals (the rows and the account's last read)."""
    now = now or timezone.now()
    start = metering.month_start(now)
    alive = list(Environment.objects.filter(project=scope.project).filter(scope.owned("owner"))
                 .filter(created_at__lt=now)
                 .filter(Q(terminated_at__isnull=True) | Q(terminated_at__gte=start))
                 .select_related(*ENVIRONMENT_RELATED)
                 .order_by("owner__username", "-created_at", "pk"))
    costs = metering.environment_costs(alive, since=start, until=now)
    people: dict[int, PersonSpend] = {}
    for environment in alive:
        person = people.setdefault(environment.owner_id, PersonSpend(user=environment.owner))
        person.month_to_date += costs[environment.pk].usd
        person.environments += environment.status != Environment.Status.TERMINATED
    listed = [e for e in alive if e.status != Environment.Status.TERMINATED]
    return ProjectSummary(
        scope=scope, now=now, environments=listed, costs=costs,
        requests=list(project_requests(scope=scope)[:requests_limit]),
        month_to_date=sum((c.usd for c in costs.values()), Decimal("0.00")),
        people=sorted(people.values(), key=lambda p: (-p.month_to_date, p.user.username)),
        actuals=project_actuals(scope.project, [e.pk for e in alive], now=now),
    )
