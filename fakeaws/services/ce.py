"""Cost Explorer: GetCostAndUsage grouped by a tag, and the cost-allocation tag switches.

Facts relied on (AWS Billing and Cost Management API reference, Cost Explorer and cost
allocation tag user guides):
- The endpoint is global, ``ce.us-east-1.amazonaws.com``, signed for us-east-1 whatever region
  the client names (botocore resolves it so).
- ``TimePeriod`` Start is inclusive, End exclusive, both ``YYYY-MM-DD``. One ``ResultsByTime``
  entry per period (a DAILY period is one UTC day), each with ``TimePeriod``, ``Total``,
  ``Groups`` and ``Estimated``. With ``GroupBy`` the figures are in ``Groups`` and ``Total`` is
  empty. A tag group's key is ``"<tag key>$<tag value>"``; cost without the tag (or before
  the tag was active) is ``"<tag key>$"``. Amounts are strings (``{"Amount": "1.23",
  "Unit": "USD"}``).
- Results come in pages: ``NextPageToken`` asks for the next one (the fake splits by groups,
  so one period's groups may continue on the next page under the same TimePeriod).
- A user-defined tag groups cost only once activated as a cost-allocation tag
  (UpdateCostAllocationTagsStatus / Billing console), and only for usage from then on: it is not
  retroactive (a backfill is a separate request the fake does not offer).
- Cost data is refreshed at least once every 24 hours, so the last day lags (``FAKEAWS_CE_LAG_
  SECONDS``, default 24 h); figures of the current month are ``Estimated`` until the month is
  closed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings

from fakeaws import clock
from fakeaws.identity import Caller
from fakeaws.models import CostAllocationTag, MeteredRun, NotebookInstance
from fakeaws.protocol import AwsError
from fakeaws.services.paging import page
from fakeaws.services.registry import operation
from fakeaws.services.sagemaker import notebook_settle

CE = "ce"
METRICS = ("UnblendedCost", "BlendedCost", "AmortizedCost", "NetUnblendedCost",
           "NetAmortizedCost")
DAY = timedelta(days=1)
HOUR = Decimal(3600)


def _invalid(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def _day(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _invalid(f"{name} is not a valid date (YYYY-MM-DD): {value!r}") from None


def _request(params: dict[str, Any]) -> tuple[date, date, str, list[str], str]:
    period = params.get("TimePeriod") or {}
    start, end = _day(period.get("Start"), "Start"), _day(period.get("End"), "End")
    if start >= end:
        raise _invalid("Start date (inclusive) must be before End date (exclusive).")
    granularity = str(params.get("Granularity", ""))
    if granularity not in ("DAILY", "MONTHLY"):
        # HOURLY needs hourly granularity enabled in the account's Cost Explorer settings.
        raise _invalid(f"Granularity {granularity!r} is not supported here: DAILY or MONTHLY.")
    metrics = [str(m) for m in params.get("Metrics") or []]
    if not metrics or any(m not in METRICS for m in metrics):
        raise _invalid(f"Metrics must be one or more of {', '.join(METRICS)}.")
    groups = params.get("GroupBy") or []
    if len(groups) != 1 or groups[0].get("Type") != "TAG" or not groups[0].get("Key"):
        raise _invalid("The fake Cost Explorer groups by exactly one TAG.")
    return start, end, granularity, metrics, str(groups[0]["Key"])


def _periods(start: date, end: date, granularity: str) -> list[tuple[date, date]]:
    periods: list[tuple[date, date]] = []
    cursor = start
    while cursor < end:
        if granularity == "DAILY":
            following = cursor + DAY
        else:
            following = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
        periods.append((cursor, min(following, end)))
        cursor = min(following, end)
    return periods


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _usage(account: str, key: str, start: date, end: date, visible_until: datetime
           ) -> dict[date, dict[str, Decimal]]:
    """Cost per UTC day and tag value ("" untagged or before the key was active)."""
    active = CostAllocationTag.objects.filter(account=account, key=key, status="Active").first()
    active_from = _midnight(active.updated_at.astimezone(UTC).date()) if active else None
    first, last = _midnight(start), min(_midnight(end), visible_until)
    cost: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    runs = MeteredRun.objects.filter(account=account, started_at__lt=last).exclude(
        ended_at__lte=first)
    for run in runs:
        begin, finish = max(run.started_at, first), min(run.ended_at or last, last)
        while begin < finish:
            day_end = min(_midnight(begin.astimezone(UTC).date()) + DAY, finish)
            tagged = active_from is not None and begin >= active_from
            value = str(run.tags.get(key, "")) if tagged else ""
            seconds = Decimal((day_end - begin).total_seconds())
            cost[begin.astimezone(UTC).date()][value] += run.usd_per_hour * seconds / HOUR
            begin = day_end
    return cost


@operation(CE, "GetCostAndUsage")
def get_cost_and_usage(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    start, end, granularity, metrics, key = _request(params)
    now = clock.now()
    for notebook in NotebookInstance.objects.filter(account=caller.account):
        notebook_settle(notebook)  # transitions that took effect since anyone looked
    lag = timedelta(seconds=int(getattr(settings, "FAKEAWS_CE_LAG_SECONDS", 86400)))
    daily = _usage(caller.account, key, start, end, now - lag)
    closed_before = now.astimezone(UTC).date().replace(day=1)
    # One item per (period, group); a period without cost is one item without a group.
    items: list[tuple[tuple[date, date], str | None, Decimal]] = []
    for first, last in _periods(start, end, granularity):
        totals: dict[str, Decimal] = defaultdict(Decimal)
        day = first
        while day < last:
            for tag_value, day_usd in daily.get(day, {}).items():
                totals[tag_value] += day_usd
            day += DAY
        if not totals:
            items.append(((first, last), None, Decimal(0)))
        items.extend(((first, last), tag_value, total) for tag_value, total
                     in sorted(totals.items()))
    size = int(getattr(settings, "FAKEAWS_CE_PAGE_GROUPS", 500))
    chunk, token = page(items, token=params.get("NextPageToken"), size=size, default=size,
                        maximum=max(size, 1), invalid_code="ValidationException")
    results: list[dict[str, Any]] = []
    for (first, last), value, usd in chunk:  # value None: a period without any cost
        if not results or results[-1]["TimePeriod"]["Start"] != first.isoformat():
            results.append({"TimePeriod": {"Start": first.isoformat(), "End": last.isoformat()},
                            "Total": {}, "Groups": [], "Estimated": last > closed_before})
        if value is not None:
            amount = f"{usd.quantize(Decimal('0.0000000001')).normalize():f}"
            results[-1]["Groups"].append({
                "Keys": [f"{key}${value}"],
                "Metrics": {m: {"Amount": amount, "Unit": "USD"} for m in metrics}})
    answer: dict[str, Any] = {"GroupDefinitions": [{"Type": "TAG", "Key": key}],
                              "ResultsByTime": results, "DimensionValueAttributes": []}
    if token:
        answer["NextPageToken"] = token
    return answer


@operation(CE, "UpdateCostAllocationTagsStatus")
def update_cost_allocation_tags_status(*, caller: Caller, region: str, params: dict[str, Any]
                                       ) -> dict[str, Any]:
    entries = params.get("CostAllocationTagsStatus") or []
    if not 1 <= len(entries) <= 20:
        raise _invalid("CostAllocationTagsStatus takes 1 to 20 entries.")
    for entry in entries:
        status, key = str(entry.get("Status", "")), str(entry.get("TagKey", ""))
        current = CostAllocationTag.objects.filter(account=caller.account, key=key).first()
        if current is not None and current.status == status:
            continue  # activating an active tag changes nothing (nor its date)
        CostAllocationTag.objects.update_or_create(
            account=caller.account, key=key,
            defaults={"status": status, "updated_at": clock.now()})
    return {"Errors": []}


@operation(CE, "ListCostAllocationTags")
def list_cost_allocation_tags(*, caller: Caller, region: str, params: dict[str, Any]
                              ) -> dict[str, Any]:
    rows = CostAllocationTag.objects.filter(account=caller.account).order_by("key")
    if params.get("Status"):
        rows = rows.filter(status=str(params["Status"]))
    if params.get("TagKeys"):
        rows = rows.filter(key__in=[str(k) for k in params["TagKeys"]])
    return {"CostAllocationTags": [
        {"TagKey": r.key, "Type": "UserDefined", "Status": r.status,
         "LastUpdatedDate": r.updated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        for r in rows]}
