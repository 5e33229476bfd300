"""Budgets: each project's month forecast against its monthly budget (issue 14).

The forecast of a project for the current calendar month (UTC, as AWS bills) is

- its month-to-date spend (``provisioning.metering``: the environments' intervals × prices), plus
- the committed cost of what runs: for each environment, its current rate (compute while it runs
  or is on its way to running — queued, provisioning, available, starting, updating; storage while
  it is stopping or stopped) × the hours left until the month ends, plus
- the create requests not provisioned yet (pending, or approved and not handed off): their
  estimated monthly cost / 730 × the hours left, so two requests racing for the last dollars
  cannot both pass (``request_create`` holds the project row lock while checks run).

A new request adds its estimate's hourly figure × the hours left. Where the project's
``budget_policy`` is ``refuse`` and its budget is above 0, a request that would take the forecast
over the budget is refused with the figures (exactly at the budget is allowed) and nothing is
written; where it is ``approval``, such a request is created with an extra platform-admin step
after the policy's steps ("Budget review", ``approvals.policies.step_plans``) and the figures
shown to its approvers. Changes of running environments (day-2 updates) are not counted against
the budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.utils import timezone

from approvals.models import Request
from approvals.services import RequestToCheck
from approvals.services.names import LIVE_REQUEST
from catalog.estimates import cost_estimate
from catalog.models import HOURS_PER_MONTH
from portal.models import Project
from provisioning.metering import CENT, SECONDS_PER_HOUR, environment_costs, month_start
from provisioning.models import Environment

Status = Environment.Status
COMMITTED_COMPUTE = frozenset({Status.QUEUED, Status.PROVISIONING, Status.AVAILABLE,
                               Status.STARTING, Status.UPDATING})
COMMITTED_STORAGE = frozenset({Status.STOPPING, Status.STOPPED})


def month_end(now: datetime) -> datetime:
    """00:00 UTC on the first day of the month after ``now``'s."""
    start = month_start(now)
    return start.replace(year=start.year + 1, month=1) if start.month == 12 \
        else start.replace(month=start.month + 1)


def hours_left(now: datetime) -> Decimal:
    """Hours from ``now`` until the month ends (UTC)."""
    return Decimal((month_end(now) - now.astimezone(UTC)).total_seconds()) / SECONDS_PER_HOUR


@dataclass(frozen=True)
class Forecast:
    """A project's month: spent so far, committed until the month ends, and the budget."""

    month_to_date: Decimal
    committed: Decimal
    budget: Decimal
    hours_left: Decimal
    month: datetime

    @property
    def total(self) -> Decimal:
        return self.month_to_date + self.committed

    @property
    def enforced_budget(self) -> bool:
        return self.budget > 0


def _alive(project_ids: Sequence[int], now: datetime) -> list[Environment]:
    return list(Environment.objects.filter(project_id__in=list(project_ids), created_at__lt=now)
                .filter(Q(terminated_at__isnull=True) | Q(terminated_at__gte=month_start(now)))
                .select_related("product", "project"))


SPEND_BATCH = 1000  # environments metered per batch by ``month_to_date_by_project``


def month_to_date_by_project(project_ids: Sequence[int], now: datetime, *,
                             batch: int = SPEND_BATCH) -> dict[int, Decimal]:
    """Each project's metered spend this month, in bounded batches of ``batch`` environments
    (keyset on the primary key): four queries per batch (the environments, their edges, the
    instance and the storage prices), however many environments the projects hold."""
    spend = {pk: Decimal("0.00") for pk in project_ids}
    alive = (Environment.objects.filter(project_id__in=list(project_ids), created_at__lt=now)
             .filter(Q(terminated_at__isnull=True) | Q(terminated_at__gte=month_start(now)))
             .select_related("product", "project").order_by("pk"))
    after = None
    while True:
        chunk = list((alive if after is None else alive.filter(pk__gt=after))[:batch])
        if chunk:
            costs = environment_costs(chunk, since=month_start(now), until=now)
            for environment in chunk:
                spend[environment.project_id] += costs[environment.pk].usd
        if len(chunk) < batch:
            return spend
        after = chunk[-1].pk


def project_forecast(project: Project, now: datetime | None = None) -> Forecast:
    """The project's forecast for ``now``'s month (see the module docstring). Five queries."""
    now = now or timezone.now()
    left = hours_left(now)
    alive = _alive([project.pk], now)
    costs = environment_costs(alive, since=month_start(now), until=now)
    spent = sum((c.usd for c in costs.values()), Decimal("0.00"))
    committed = Decimal("0")
    for environment in alive:
        rates = costs[environment.pk].rates
        if environment.status in COMMITTED_COMPUTE:
            committed += rates.compute_usd_per_hour * left
        elif environment.status in COMMITTED_STORAGE:
            committed += rates.storage_usd_per_hour * left
    asked = (Request.objects.filter(LIVE_REQUEST, project=project, action=Request.Action.CREATE,
                                    provisioned_environment__isnull=True)
             .aggregate(total=Sum("estimated_monthly_cost"))["total"]) or Decimal("0")
    committed += asked / HOURS_PER_MONTH * left
    return Forecast(month_to_date=spent, committed=committed.quantize(CENT),
                    budget=project.monthly_budget, hours_left=left, month=month_start(now))


def request_adds(*, hourly: Decimal, now: datetime) -> Decimal:
    """What a new environment at ``hourly`` adds to this month's forecast."""
    return (hourly * hours_left(now)).quantize(CENT)


def budget_overrun(*, project: Project, hourly: Decimal, what: str,
                   now: datetime | None = None) -> str:
    """Why one more thing at ``hourly`` USD would take the project's forecast over its budget,
    with the figures; "" when it fits or the budget is 0. Exactly at the budget fits."""
    if project.monthly_budget <= 0:
        return ""
    now = now or timezone.now()
    forecast = project_forecast(project, now)
    adds = request_adds(hourly=hourly, now=now)
    if forecast.total + adds <= forecast.budget:
        return ""
    left = forecast.hours_left.quantize(Decimal("0.1"))
    return (
        f"The budget of project {project.slug} for {forecast.month:%B %Y} is "
        f"${forecast.budget:.2f}. Its forecast is already ${forecast.total:.2f} "
        f"(${forecast.month_to_date:.2f} spent so far, ${forecast.committed:.2f} committed by "
        f"what runs and is asked for until the month ends, {left} h from now), and this {what} "
        f"would add ${adds:.2f} (${hourly:.3f}/h × {left} h), taking it to "
        f"${forecast.total + adds:.2f}."
    )


REFUSED_MORE = (" Stop or terminate an environment, wait for next month, or ask a project lead "
                "to raise the budget.")


# A change is weighed against the forecast while its environment runs (a stopped notebook
# costs its compute again only once started, and a start is checked then).
CHANGE_WEIGHED = (Environment.Status.AVAILABLE, Environment.Status.STARTING,
                  Environment.Status.UPDATING)


def _change_hourly(request: RequestToCheck) -> Decimal | None:
    """What a change (``update``) adds per hour: its estimate with the new values less the
    environment's now; None when it adds nothing, is not running, or is not priced."""
    project = request.project
    environment = Environment.objects.filter(
        pk=request.environment_ref, project=project, status__in=CHANGE_WEIGHED).first() \
        if request.environment_ref else None
    if environment is None:
        return None
    before = cost_estimate(region=project.aws_region, parameters=dict(environment.parameters),
                           product=request.product)
    after = cost_estimate(region=project.aws_region,
                          parameters={**environment.parameters, **request.values},
                          product=request.product)
    if after is None or before is None or after.usd_per_hour <= before.usd_per_hour:
        return None
    return after.usd_per_hour - before.usd_per_hour


def _overrun(request: RequestToCheck, policy: str) -> str:
    project = request.project
    if request.action not in (Request.Action.CREATE, Request.Action.UPDATE) \
            or project.budget_policy != policy or project.monthly_budget <= 0:
        return ""
    if request.action == Request.Action.UPDATE:
        try:
            hourly = _change_hourly(request)
        except (ValueError, ValidationError):  # not an environment id: refused elsewhere
            return ""
        if hourly is None:
            return ""
        return budget_overrun(project=project, hourly=hourly,
                              what=f"change of {request.product.name or 'the environment'}")
    estimate = cost_estimate(region=project.aws_region, parameters=dict(request.values),
                             product=request.product)
    if estimate is None:
        return ""  # nothing priced: the approver sees "no estimate"
    return budget_overrun(project=project, hourly=estimate.usd_per_hour,
                          what=request.product.name or "environment")


def request_budget_check(request: RequestToCheck) -> list[str]:
    """Request time, policy ``refuse``: a new environment, or a change that costs more per hour
    (the difference, while it runs), that takes the forecast over the budget is refused."""
    found = _overrun(request, Project.BudgetPolicy.REFUSE)
    return [found + REFUSED_MORE] if found else []


def request_budget_review(request: RequestToCheck) -> list[str]:
    """Request time, policy ``approval``: a new environment over the forecast gets an extra
    platform-admin step (the figures are kept on the request for its approvers)."""
    found = _overrun(request, Project.BudgetPolicy.APPROVAL)
    return [found + " A platform admin decides whether it may go over."] if found else []


def project_forecast_total(project: Project) -> Decimal:
    """The approver page's forecast figure (registered with ``approvals.spend``)."""
    return project_forecast(project).total
