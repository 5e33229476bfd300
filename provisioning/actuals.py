"""Actual cost per environment from Cost Explorer, by the ``portal-environment`` tag.

Once a day (beat, ``PORTAL_COST_ACTUALS_SECONDS``) ``cost_actuals_fetch`` asks Cost Explorer,
in each project AWS account, for ``GetCostAndUsage`` from the 1st of last month until today
(DAILY, ``UnblendedCost``, grouped by the tag), follows ``NextPageToken`` to the end, and keeps
one ``EnvironmentDailyCost`` row per environment and day (upserted: a day's figure changes
while AWS still estimates it). A ``CostActualsFetch`` row per account and UTC day makes it one
series of calls per account per day, however often beat or an operator runs it.

Facts relied on (Cost Explorer API reference and user guide): the endpoint is global
(us-east-1); a group's key is ``"<tag key>$<value>"``, untagged cost ``"<tag key>$"``; amounts
are strings; results come per time period, a period's groups possibly split over pages; data is
refreshed about once a day, so yesterday may still be incomplete and figures of an open month
are ``Estimated``. A tag is usable only once activated as a cost-allocation tag in Billing, and
only for usage after the activation. Each request is billed by AWS (USD 0.01), another reason to
cache.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Sum
from django.utils import timezone

from portal.aws import aws_client
from portal.models import Project
from portal.services import audit_record
from provisioning.models import CostActualsFetch, Environment, EnvironmentDailyCost

logger = logging.getLogger(__name__)
METRIC = "UnblendedCost"
FETCH_ACTION = "cost.actuals_fetched"


@dataclass
class FetchReport:
    fetched: list[str] = field(default_factory=list)   # account ids read today
    skipped: list[str] = field(default_factory=list)   # already read today
    failed: dict[str, str] = field(default_factory=dict)
    calls: int = 0


def _first_of_last_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def _accounts() -> dict[str, Project]:
    """One project per AWS account to sign the calls with (one with a role first)."""
    chosen: dict[str, Project] = {}
    for project in Project.objects.filter(active=True).order_by("aws_role_arn", "pk"):
        if project.aws_account_id not in chosen or (
                project.aws_role_arn and not chosen[project.aws_account_id].aws_role_arn):
            chosen[project.aws_account_id] = project
    return chosen


def cost_series_read(*, client: Any, start: date, end: date, tag_key: str
                     ) -> tuple[dict[tuple[str, date], Decimal], dict[date, bool], int]:
    """Every page of GetCostAndUsage: cost by (tag value, day), Estimated by day, calls made."""
    kwargs: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY", "Metrics": [METRIC],
        "GroupBy": [{"Type": "TAG", "Key": tag_key}],
    }
    cost: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
    estimated: dict[date, bool] = {}
    calls = 0
    while True:
        response = client.get_cost_and_usage(**kwargs)
        calls += 1
        for period in response.get("ResultsByTime", []):
            day = date.fromisoformat(period["TimePeriod"]["Start"])
            estimated[day] = bool(period.get("Estimated", False))
            for group in period.get("Groups", []):
                value = str(group["Keys"][0]).partition("$")[2]
                amount = group.get("Metrics", {}).get(METRIC, {}).get("Amount", "0")
                cost[(value, day)] += Decimal(str(amount))
        token = response.get("NextPageToken")
        if not token:
            return cost, estimated, calls
        kwargs["NextPageToken"] = token


def _account_store(*, account: str, cost: dict[tuple[str, date], Decimal],
                   estimated: dict[date, bool], today: date, now: datetime) -> Decimal:
    values = {value for value, _ in cost if value}
    known: set[str] = set()
    candidates = [v for v in values if _is_uuid(v)]
    if candidates:
        known = {str(pk) for pk in Environment.objects.filter(
            project__aws_account_id=account, pk__in=candidates).values_list("pk", flat=True)}
    rows = [EnvironmentDailyCost(environment_id=value, day=day, usd=usd.quantize(Decimal("0.0001")),
                                 estimated=estimated.get(day, True), fetched_at=now)
            for (value, day), usd in cost.items() if value in known]
    EnvironmentDailyCost.objects.bulk_create(
        rows, batch_size=1000, update_conflicts=True, unique_fields=["environment", "day"],
        update_fields=["usd", "estimated", "fetched_at"])
    month = today.replace(day=1)
    return sum((usd for (value, day), usd in cost.items()
                if value not in known and day >= month), Decimal("0")).quantize(Decimal("0.01"))


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def cost_actuals_fetch(*, now: datetime | None = None) -> FetchReport:
    """Read yesterday's and earlier actuals of every project account not read today (UTC)."""
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    tag_key = settings.PORTAL_TAG_KEYS["portal-environment"]
    report = FetchReport()
    done = set(CostActualsFetch.objects.filter(day=today, error="")
               .values_list("aws_account_id", flat=True))
    for account, project in sorted(_accounts().items()):
        if account in done:
            report.skipped.append(account)
            continue
        start = _first_of_last_month(today)
        try:
            # Cost Explorer is global: botocore sends it to ce.us-east-1 whatever the region.
            client = aws_client("ce", project=project)
            cost, estimated, calls = cost_series_read(client=client, start=start, end=today,
                                                      tag_key=tag_key)
        except (ClientError, BotoCoreError) as error:
            report.failed[account] = str(error)
            logger.warning("Cost Explorer read of %s failed: %s", account, error)
            CostActualsFetch.objects.update_or_create(
                aws_account_id=account, day=today,
                defaults={"fetched_at": now, "through": today - timedelta(days=1),
                          "error": str(error)[:2000]})
            continue
        report.calls += calls
        with transaction.atomic():
            untagged = _account_store(account=account, cost=cost, estimated=estimated,
                                      today=today, now=now)
            fetch, _ = CostActualsFetch.objects.update_or_create(
                aws_account_id=account, day=today,
                defaults={"fetched_at": now, "through": today - timedelta(days=1),
                          "untagged_usd": untagged, "error": ""})
            audit_record(action=FETCH_ACTION, obj=fetch, actor_username="system",
                         data={"account": account, "from": start.isoformat(),
                               "to": today.isoformat(), "calls": calls,
                               "untagged_usd": str(untagged)})
        report.fetched.append(account)
    return report


@dataclass(frozen=True)
class Actuals:
    """What Cost Explorer says an environment (or a project) cost; ``as_of`` is the last day
    covered (None: never read for its account)."""

    month_usd: Decimal | None   # None: no cost row this month
    total_usd: Decimal | None
    estimated: bool
    as_of: date | None
    fetched_at: datetime | None


def _last_fetch(account: str) -> CostActualsFetch | None:
    return (CostActualsFetch.objects.filter(aws_account_id=account, error="")
            .order_by("-day").first())


def environment_actuals(environment: Environment, *, now: datetime | None = None) -> Actuals:
    """The environment's Cost Explorer figures: this month and since its creation (None where
    Cost Explorer has no row for it). One statement (``_environment_figures``)."""
    now = now or timezone.now()
    month = now.astimezone(UTC).date().replace(day=1)
    total, month_usd, month_days, estimated, through, fetched_at = _environment_figures(
        environment, month=month, account=environment.project.aws_account_id)
    return Actuals(
        month_usd=_cents(month_usd) if month_days else None,
        total_usd=_cents(total) if total is not None else None,
        estimated=bool(estimated), as_of=through, fetched_at=fetched_at)


def _environment_figures(environment: Environment, *, month: date, account: str
                         ) -> tuple[Any, Any, int, int, date | None, datetime | None]:
    """(total, this month, days this month, estimated days this month) of the environment's
    daily costs, and the account's last good fetch (``_last_fetch``: through, fetched at), in
    one hand-written statement: the environment page read them with an ORM aggregate and a
    second query, the most Python of its cost panels (issue 16). The values are converted as
    the ORM would (SQLite hands dates back as text)."""
    qn = connection.ops.quote_name
    daily, fetch = (qn(EnvironmentDailyCost._meta.db_table),
                    qn(CostActualsFetch._meta.db_table))
    last = (f"FROM {fetch} f WHERE f.aws_account_id = %s AND f.error = '' "
            f"ORDER BY f.{qn('day')} DESC LIMIT 1")
    sql = (f"SELECT SUM(d.usd), SUM(CASE WHEN d.{qn('day')} >= %s THEN d.usd END), "
           f"COUNT(CASE WHEN d.{qn('day')} >= %s THEN 1 END), "
           f"COUNT(CASE WHEN d.{qn('day')} >= %s AND d.estimated THEN 1 END), "
           f"(SELECT f.through {last}), (SELECT f.fetched_at {last}) "
           f"FROM {daily} d WHERE d.environment_id = %s")
    day = models.DateField().get_db_prep_value(month, connection)
    key = Environment._meta.pk.get_db_prep_value(environment.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [day, day, day, account, account, key])
        total, month_usd, month_days, estimated, through, fetched_at = cursor.fetchone()
    return (_decimal(total), _decimal(month_usd), int(month_days or 0), int(estimated or 0),
            models.DateField().to_python(through), _aware(fetched_at))


def _decimal(value: Any) -> Decimal | None:
    """A summed amount as a Decimal (SQLite sums to a float: its shortest repr is the sum)."""
    return None if value is None else Decimal(str(value))


def _aware(value: Any) -> datetime | None:
    """A time read by hand, aware as the ORM gives it (SQLite: UTC text without the zone)."""
    moment: datetime | None = models.DateTimeField().to_python(value)
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment


def _cents(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class ProjectActuals:
    """Cost Explorer's month to date of a project's environments, by environment pk."""

    by_environment: dict[Any, Decimal]
    month_usd: Decimal
    untagged_usd: Decimal
    as_of: date | None


def project_actuals(project: Project, environment_ids: list[Any], *,
                    now: datetime | None = None) -> ProjectActuals:
    """This month's actuals of the given environments of ``project``. Two queries."""
    now = now or timezone.now()
    month = now.astimezone(UTC).date().replace(day=1)
    by_environment: dict[Any, Decimal] = {}
    for environment_id, usd in (EnvironmentDailyCost.objects
                                .filter(environment_id__in=environment_ids, day__gte=month)
                                .values("environment_id").annotate(usd=Sum("usd"))
                                .values_list("environment_id", "usd")):
        by_environment[environment_id] = _cents(usd)
    fetch = _last_fetch(project.aws_account_id)
    return ProjectActuals(by_environment=by_environment,
                          month_usd=sum(by_environment.values(), Decimal("0.00")),
                          untagged_usd=fetch.untagged_usd if fetch else Decimal("0"),
                          as_of=fetch.through if fetch else None)
