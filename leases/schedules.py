"""Auto-stop rules: when a schedule's next stop is, on the owner's clock, and what applies to
an environment (its project's and its product's ``StopPolicy``).

Times are computed in the owner's IANA zone with ``zoneinfo``, so "weekdays 20:00" in
America/New_York is 20:00 local on both sides of a daylight-saving change (00:00 UTC in the
summer, 01:00 UTC in the winter). A local time that does not exist on a spring-forward day
(02:30) resolves with the offset before the change (``fold=0``: 03:30 local), one that occurs
twice on a fall-back day resolves to the first of the two, so a schedule stops once a day.

Where both the project and the product set a policy, both schedules stop, the shorter idle
time applies, and owners may opt out only if both allow it (the stricter curator wins, as for
lease terms).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import router
from django.db.models import Q

from leases.models import AutoStop, StopPolicy
from portal.statements import MARKER_ID, Slot, Statement
from provisioning.models import Environment

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NAMED_DAYS = {"01234": "weekdays", "56": "weekends", "0123456": "every day"}
LOOK_DAYS = 8  # a weekly schedule has an occurrence within any 8 local days


@dataclass(frozen=True)
class Schedule:
    """A weekly stop: on ``weekdays`` (digits, Monday 0) at local time ``at``."""

    weekdays: str
    at: time

    def days_label(self) -> str:
        days = "".join(sorted(self.weekdays))
        return NAMED_DAYS.get(days) or ", ".join(DAY_NAMES[int(d)] for d in days)

    def label(self) -> str:
        """Like "weekdays 20:00"."""
        return f"{self.days_label()} {self.at:%H:%M}"

    def _at_on(self, day: date, zone: ZoneInfo) -> datetime | None:
        if str(day.weekday()) not in self.weekdays:
            return None
        return datetime.combine(day, self.at, tzinfo=zone).astimezone(UTC)

    def latest(self, zone: ZoneInfo, *, at: datetime) -> datetime | None:
        """The last occurrence at or before ``at`` (None: none in the last 8 days)."""
        today = at.astimezone(zone).date()
        for back in range(LOOK_DAYS + 1):
            when = self._at_on(today - timedelta(days=back), zone)
            if when is not None and when <= at:
                return when
        return None

    def next(self, zone: ZoneInfo, *, after: datetime) -> datetime | None:
        """The first occurrence strictly after ``after``."""
        today = after.astimezone(zone).date()
        for ahead in range(LOOK_DAYS + 1):
            when = self._at_on(today + timedelta(days=ahead), zone)
            if when is not None and when > after:
                return when
        return None


@dataclass(frozen=True)
class AutoStopRules:
    """What auto-stops one environment (empty: nothing)."""

    schedules: tuple[Schedule, ...] = ()
    idle_hours: int | None = None
    may_opt_out: bool = False

    @property
    def active(self) -> bool:
        return bool(self.schedules or self.idle_hours)

    def text(self, zone: ZoneInfo) -> str:
        """Like "stops weekdays 20:00 Europe/Paris; idle stop after 4 h"."""
        parts = [f"stops {s.label()} {zone.key}" for s in self.schedules]
        if self.idle_hours:
            parts.append(f"idle stop after {self.idle_hours} h without an open")
        return "; ".join(parts) if parts else "no auto-stop"


def rules_of(policies: Iterable[StopPolicy | None]) -> AutoStopRules:
    """Combine the policies that apply (the project's, the product's)."""
    chosen = [p for p in policies if p is not None]
    if not chosen:
        return AutoStopRules()
    schedules = tuple(dict.fromkeys(
        Schedule(weekdays="".join(sorted(p.weekdays)), at=p.stop_at)
        for p in chosen if p.weekdays and p.stop_at is not None))
    idle = [p.idle_hours for p in chosen if p.idle_hours]
    return AutoStopRules(schedules=schedules, idle_hours=min(idle) if idle else None,
                         may_opt_out=all(p.owners_may_opt_out for p in chosen))


@dataclass(frozen=True)
class PolicyIndex:
    """The policies of a batch of environments, read in one query (``policies_read``)."""

    by_project: dict[Any, StopPolicy]
    by_product: dict[Any, StopPolicy]

    def rules(self, environment: Environment) -> AutoStopRules:
        return rules_of([self.by_project.get(environment.project_id),
                         self.by_product.get(environment.product_id)])


# One project's and one product's policies (an environment's page, a product page for one
# project), compiled once (portal.statements; issue 16).
_POLICIES_OF_ONE = Statement(
    lambda project, product: StopPolicy.objects.filter(Q(project_id=project)
                                                       | Q(product_id=product)),
    project=Slot(StopPolicy._meta.get_field("project"), MARKER_ID),
    product=Slot(StopPolicy._meta.get_field("product"), MARKER_ID + 1))


def policies_read(*, project_ids: Iterable[Any], product_ids: Iterable[Any]) -> PolicyIndex:
    """One query for every policy of these projects and products (none when both are empty)."""
    projects, products = set(project_ids), set(product_ids)
    if not projects and not products:
        return PolicyIndex({}, {})
    if len(projects) == len(products) == 1 and None not in projects | products:
        found = _POLICIES_OF_ONE.instances(StopPolicy, using=router.db_for_read(StopPolicy),
                                           project=next(iter(projects)),
                                           product=next(iter(products)))
    else:
        found = list(StopPolicy.objects.filter(Q(project_id__in=projects)
                                               | Q(product_id__in=products)))
    return PolicyIndex(by_project={p.project_id: p for p in found if p.project_id},
                       by_product={p.product_id: p for p in found if p.product_id})


def policies_for(environments: Sequence[Environment]) -> PolicyIndex:
    return policies_read(project_ids=[e.project_id for e in environments],
                         product_ids=[e.product_id for e in environments])


def rules_for(environment: Environment) -> AutoStopRules:
    """The rules of one environment (one query)."""
    return policies_for([environment]).rules(environment)


def idle_since(environment: Environment, state: AutoStop | None) -> datetime:
    """Where the idle clock starts: the last open or start through the portal, else when the
    notebook was provisioned. (Not when the auto-stop row was made: an idle policy added
    today stops the notebooks already idle for longer at the next sweep.)"""
    marks = [environment.last_activity_at, environment.available_at, environment.created_at]
    return max(m for m in marks if m is not None)


def idle_deadline(environment: Environment, state: AutoStop | None,
                  rules: AutoStopRules) -> datetime | None:
    if not rules.idle_hours:
        return None
    return idle_since(environment, state) + timedelta(hours=rules.idle_hours)
