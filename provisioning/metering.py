"""Metered cost of environments: their running intervals × the price table.

The intervals come from the status edges the portal already records: ``environment_status_set``
writes one ``environment.status_changed`` audit event (from, to, at) for every edge it takes, and
it is the only code that changes a status, so the audit trail holds every interval (append-only
and hash-chained, so the figures cannot be edited after the fact either). An environment is
``queued`` from its creation until its first edge. One query reads the edges of any number of
environments (``environment_costs``), one the instance prices, one the storage prices.

What each status costs per hour:

- ``available``, ``updating``: the compute rate, the hourly figure of the product's estimate
  (``catalog.estimates.cost_estimate`` with the environment's parameters: the notebook's
  instance type, a Studio profile's default app type, declared types, or a flat figure / 730).
- ``stopping``, ``stopped``, ``starting``: the storage rate: the notebook volume
  (``VolumeSizeInGB``) × the region's ``StoragePrice`` per GB-month / 730, where priced. AWS
  stops charging for the ML compute instance when StopNotebookInstance is called and keeps the
  ML storage volume (StopNotebookInstance API reference), so stopping is already storage only.
- ``terminating``: what the status before it cost (a running notebook runs until CloudFormation
  deletes it).
- ``queued``, ``provisioning``, ``failed``, ``terminated``: nothing.

The rate is today's (current parameters and prices) over the whole life: a resize or a price
change is not replayed. Months are calendar months in UTC, as AWS bills.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import router
from django.db.models import Q, QuerySet
from django.utils import timezone

from catalog.estimates import (
    cost_estimate,
    price_tables_for_regions,
    storage_usd_per_hour,
)
from portal.models import AuditEvent, Project, User
from portal.statements import MARKER_TEXT, Slot, Statement
from provisioning.models import Environment

Status = Environment.Status
STATUS_EDGE_ACTION = "environment.status_changed"
COMPUTE = frozenset({Status.AVAILABLE, Status.UPDATING})
STORAGE = frozenset({Status.STOPPING, Status.STOPPED, Status.STARTING})
INHERITS = frozenset({Status.TERMINATING})
CENT = Decimal("0.01")
SECONDS_PER_HOUR = Decimal(3600)


@dataclass(frozen=True)
class Interval:
    """The environment was in ``status`` from ``start`` to ``end``; ``billed_as`` is the status
    whose rate applies (the previous one for ``terminating``)."""

    start: datetime
    end: datetime
    status: str
    billed_as: str


@dataclass(frozen=True)
class Rates:
    compute_usd_per_hour: Decimal
    storage_usd_per_hour: Decimal
    priced: bool  # False: no estimate for the product (its compute is unknown, counted as 0)


@dataclass(frozen=True)
class EnvironmentCost:
    """What one environment cost over a period (``usd`` rounded to the cent)."""

    usd: Decimal
    running_hours: Decimal
    stopped_hours: Decimal
    rates: Rates

    @property
    def usd_per_month_running(self) -> Decimal:
        return (self.rates.compute_usd_per_hour * 730).quantize(CENT)


def month_start(now: datetime) -> datetime:
    """00:00 UTC on the first day of ``now``'s month (UTC)."""
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def status_intervals(*, created_at: datetime, edges: Iterable[tuple[datetime, str]],
                     until: datetime) -> list[Interval]:
    """The environment's intervals up to ``until`` from its ``(at, to)`` edges in time order."""
    intervals: list[Interval] = []
    start, status, billed = created_at, str(Status.QUEUED), str(Status.QUEUED)
    for at, to in edges:
        if at > until:
            break
        if at > start:
            intervals.append(Interval(start=start, end=at, status=status, billed_as=billed))
        start = max(start, at)
        billed = billed if to in INHERITS else to
        status = to
    if until > start:
        intervals.append(Interval(start=start, end=until, status=status, billed_as=billed))
    return intervals


def _hours(interval: Interval, since: datetime | None, until: datetime) -> Decimal:
    start = max(interval.start, since) if since is not None else interval.start
    end = min(interval.end, until)
    if end <= start:
        return Decimal("0")
    return Decimal((end - start).total_seconds()) / SECONDS_PER_HOUR


def intervals_cost(intervals: Iterable[Interval], *, rates: Rates, until: datetime,
                   since: datetime | None = None) -> EnvironmentCost:
    """The cost of the intervals' part between ``since`` (None: the start) and ``until``."""
    running = stopped = Decimal("0")
    for interval in intervals:
        hours = _hours(interval, since, until)
        if interval.billed_as in COMPUTE:
            running += hours
        elif interval.billed_as in STORAGE:
            stopped += hours
    usd = running * rates.compute_usd_per_hour + stopped * rates.storage_usd_per_hour
    return EnvironmentCost(usd=usd.quantize(CENT), rates=rates,
                           running_hours=running.quantize(CENT),
                           stopped_hours=stopped.quantize(CENT))


def _edges(object_ids: Q) -> QuerySet[AuditEvent, tuple[str, datetime, Any]]:
    return (AuditEvent.objects
            .filter(object_ids, action=STATUS_EDGE_ACTION,
                    object_type=Environment._meta.label_lower)
            .order_by("at", "id").values_list("object_id", "at", "data"))


# One environment's edges (its page, each view), compiled once (portal.statements; issue 16).
_EDGES_OF_ONE = Statement(lambda environment: _edges(Q(object_id=environment)),
                          environment=Slot(AuditEvent._meta.get_field("object_id"), MARKER_TEXT))


def _edges_by_environment(environments: Sequence[Environment]) -> dict[str, list[Any]]:
    """Every status edge of these environments, in time order: one query."""
    edges: dict[str, list[Any]] = {str(e.pk): [] for e in environments}
    if not edges:
        return edges
    rows: Iterable[Any] = _edges(Q(object_id__in=list(edges))) if len(edges) > 1 else \
        _EDGES_OF_ONE.rows(using=router.db_for_read(AuditEvent), environment=next(iter(edges)))
    for object_id, at, data in rows:
        to = (data or {}).get("to")
        if to in Status.values:
            edges[object_id].append((at, to))
    return edges


def _rates(environment: Environment, prices: dict[str, dict[str, Decimal]],
           storage: dict[str, Decimal]) -> Rates:
    region = environment.project.aws_region
    parameters = {str(k): str(v) for k, v in (environment.parameters or {}).items()}
    estimate = cost_estimate(region=region, parameters=parameters,
                             prices=prices.get(region, {}), product=environment.product)
    return Rates(
        compute_usd_per_hour=estimate.usd_per_hour if estimate else Decimal("0"),
        storage_usd_per_hour=storage_usd_per_hour(parameters=parameters,
                                                  usd_per_gb_month=storage.get(region)),
        priced=estimate is not None,
    )


def _priced_intervals(environments: Sequence[Environment], until: datetime
                      ) -> Iterator[tuple[Environment, list[Interval], Rates]]:
    regions = {e.project.aws_region for e in environments}
    prices, storage = price_tables_for_regions(regions=regions)  # one statement for both
    edges = _edges_by_environment(environments)
    # Rates depend on the product, region and parameters only: many environments share them
    # (the budget sweep meters thousands), so each set is estimated once.
    known: dict[tuple[Any, str, str], Rates] = {}
    for environment in environments:
        recorded = edges[str(environment.pk)]
        if not recorded and environment.status != Status.QUEUED:
            recorded = [(environment.available_at or environment.created_at, environment.status)]
        intervals = status_intervals(created_at=environment.created_at, edges=recorded,
                                     until=until)
        key = (environment.product_id, environment.project.aws_region,
               json.dumps(environment.parameters or {}, sort_keys=True, default=str))
        if key not in known:
            known[key] = _rates(environment, prices, storage)
        yield environment, intervals, known[key]


def environment_costs(environments: Sequence[Environment], *, until: datetime | None = None,
                      since: datetime | None = None) -> dict[Any, EnvironmentCost]:
    """Cost of each environment between ``since`` (None: its creation) and ``until`` (None:
    now), by primary key. Two queries (the prices, the status edges) for any number of
    environments, which must come with their product and project (``select_related``, as the
    scoped selectors give them).

    An environment with no recorded edge (a row written directly, as an import would) is taken
    to have been in its current status since it became available (else since its creation).
    """
    until = until or timezone.now()
    return {environment.pk: intervals_cost(intervals, rates=rates, until=until, since=since)
            for environment, intervals, rates in _priced_intervals(environments, until)}


def environment_cost(env: Environment, until: datetime | None = None) -> EnvironmentCost:
    """What ``env`` has cost from its creation until ``until`` (None: now)."""
    return environment_costs([env], until=until)[env.pk]


@dataclass(frozen=True)
class CostSoFar:
    """An environment's cost since its creation and this month, as its page shows it."""

    total: EnvironmentCost
    month_to_date: EnvironmentCost
    now: datetime


def environment_cost_so_far(env: Environment, now: datetime | None = None) -> CostSoFar:
    """Cost since creation and month to date, in two queries."""
    now = now or timezone.now()
    [(_, intervals, rates)] = list(_priced_intervals([env], now))
    return CostSoFar(
        total=intervals_cost(intervals, rates=rates, until=now),
        month_to_date=intervals_cost(intervals, rates=rates, until=now, since=month_start(now)),
        now=now)


def alive_in_month(now: datetime) -> Q:
    """The environments that existed in ``now``'s month before ``now`` (the metered ones)."""
    return alive_between(month_start(now), now)


def alive_between(start: datetime, now: datetime) -> Q:
    """The environments that existed between ``start`` and ``now``: created before ``now``
    and not terminated before ``start``."""
    return Q(created_at__lt=now) & (Q(terminated_at__isnull=True) | Q(terminated_at__gte=start))


def _alive_in_month(environments: QuerySet[Environment], now: datetime) -> list[Environment]:
    return list(environments.filter(alive_in_month(now)).select_related("product", "project"))


def rows_month_to_date(environments: Iterable[Environment], now: datetime) -> Decimal:
    """The month-to-date cost of rows already read (with product and project): those of them
    ``alive_in_month`` are metered, in Python, as ``user_month_to_date`` meters its queryset.
    For a page that reads the rows anyway (my environments): no query of its own for them."""
    start = month_start(now)
    alive = [e for e in environments if e.created_at < now
             and (e.terminated_at is None or e.terminated_at >= start)]
    costs = environment_costs(alive, since=start, until=now)
    return sum((cost.usd for cost in costs.values()), Decimal("0.00"))


def month_to_date(environments: QuerySet[Environment], now: datetime) -> dict[Any, Decimal]:
    """Month-to-date cost (from the 1st, 00:00 UTC, until ``now``) of each environment of the
    queryset alive this month, by primary key."""
    alive = _alive_in_month(environments, now)
    costs = environment_costs(alive, since=month_start(now), until=now)
    return {pk: cost.usd for pk, cost in costs.items()}


def project_month_to_date(project: Project, now: datetime | None = None) -> Decimal:
    """The project's metered cost this month so far (every environment, whoever owns it)."""
    now = now or timezone.now()
    costs = month_to_date(Environment.objects.filter(project=project), now)
    return sum(costs.values(), Decimal("0.00"))


def user_month_to_date(user: User, now: datetime | None = None,
                       project: Project | None = None) -> Decimal:
    """The metered cost this month so far of the environments ``user`` owns (in ``project``
    only, when given)."""
    now = now or timezone.now()
    environments = Environment.objects.filter(owner=user)
    if project is not None:
        environments = environments.filter(project=project)
    return sum(month_to_date(environments, now).values(), Decimal("0.00"))
