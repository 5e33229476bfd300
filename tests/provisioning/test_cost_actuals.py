"""Cost Explorer actuals: the portal's boto3 code against the fake's GetCostAndUsage (tag keys
``portal-environment$<id>``, string amounts, paging, the lag, activation only forward), the
one-read-per-account-per-day cache, and the pages that show the figures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product
from fakeaws.baseline import Baseline
from fakeaws.billing import price_of
from fakeaws.models import CallLog, NotebookInstance
from portal.aws import aws_client
from portal.models import AuditEvent, Membership, Project, User
from provisioning.actuals import cost_actuals_fetch, environment_actuals
from provisioning.models import CostActualsFetch, Environment, EnvironmentDailyCost
from tests.provisioning import fake_portal
from tests.provisioning.test_owner_condition_portal import NOTEBOOK, provisioned

pytestmark = pytest.mark.django_db
fake_aws = fake_portal.fake_aws
shapes_catalog = fake_portal.shapes_catalog
__all__ = ["fake_aws", "shapes_catalog"]  # fixtures used by name
TAG = "portal-environment"
START = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)


@pytest.fixture
def moment(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[datetime], None]]:
    """Set the time the portal and the fake AWS both see (the fake's clock reads Django's)."""
    current = [START]
    monkeypatch.setattr(timezone, "now", lambda: current[0])

    def set_to(when: datetime) -> None:
        current[0] = when
    yield set_to


def ce_calls() -> int:
    return CallLog.objects.filter(service="ce", operation="GetCostAndUsage").count()


def activate(project: Project, *keys: str, status: str = "Active") -> None:
    aws_client("ce", project=project).update_cost_allocation_tags_status(
        CostAllocationTagsStatus=[{"TagKey": k, "Status": status} for k in keys])


@pytest.fixture
def running(fake_aws: Baseline, shapes_catalog: dict[str, Product], project: Project,
            scientist: User, moment: Callable[[datetime], None]) -> Environment:
    """A notebook InService since START, its tag activated the day before."""
    moment(START - timedelta(days=1))
    activate(project, TAG)
    moment(START)
    return provisioned(project, shapes_catalog[NOTEBOOK], scientist)


def hourly(environment: Environment) -> Decimal:
    notebook = NotebookInstance.objects.get(name=environment.notebook_instance_name)
    return price_of(notebook.instance_type)


def test_the_fake_answers_like_cost_explorer(running: Environment, project: Project,
                                             moment: Callable[[datetime], None]) -> None:
    moment(START + timedelta(days=2, hours=2))  # 11-12 12:00: data until 11-11 12:00
    answer = aws_client("ce", project=project).get_cost_and_usage(
        TimePeriod={"Start": "2026-11-09", "End": "2026-11-13"}, Granularity="DAILY",
        Metrics=["UnblendedCost"], GroupBy=[{"Type": "TAG", "Key": TAG}])
    periods = answer["ResultsByTime"]
    assert [p["TimePeriod"]["Start"] for p in periods] == [
        "2026-11-09", "2026-11-10", "2026-11-11", "2026-11-12"]
    assert periods[0]["Groups"] == [] and periods[3]["Groups"] == []  # before, and the lag
    [group] = periods[1]["Groups"]
    assert group["Keys"] == [f"{TAG}${running.pk}"]
    amount = group["Metrics"]["UnblendedCost"]["Amount"]
    assert isinstance(amount, str) and Decimal(amount) == hourly(running) * 14
    assert Decimal(periods[2]["Groups"][0]["Metrics"]["UnblendedCost"]["Amount"]) \
        == hourly(running) * 12
    assert all(p["Estimated"] and p["Total"] == {} for p in periods)
    assert "NextPageToken" not in answer


def test_cost_before_the_tag_was_activated_has_an_empty_value(
        fake_aws: Baseline, shapes_catalog: dict[str, Product], project: Project,
        scientist: User, moment: Callable[[datetime], None]) -> None:
    moment(START)
    environment = provisioned(project, shapes_catalog[NOTEBOOK], scientist)
    moment(START + timedelta(days=1))
    activate(project, TAG)  # 11-11: not retroactive
    moment(START + timedelta(days=3))
    answer = aws_client("ce", project=project).get_cost_and_usage(
        TimePeriod={"Start": "2026-11-10", "End": "2026-11-12"}, Granularity="DAILY",
        Metrics=["UnblendedCost"], GroupBy=[{"Type": "TAG", "Key": TAG}])
    first, second = answer["ResultsByTime"]
    assert [g["Keys"] for g in first["Groups"]] == [[f"{TAG}$"]]
    assert [g["Keys"] for g in second["Groups"]] == [[f"{TAG}${environment.pk}"]]

    report = cost_actuals_fetch()
    assert report.fetched == [project.aws_account_id]
    rows = EnvironmentDailyCost.objects.filter(environment=environment)
    assert sorted(r.day.isoformat() for r in rows) == ["2026-11-11", "2026-11-12"]
    fetch = CostActualsFetch.objects.get()
    assert fetch.untagged_usd == (hourly(environment) * 14).quantize(Decimal("0.01"))


def test_one_read_per_account_per_day_and_the_figures_are_kept(
        running: Environment, project: Project, moment: Callable[[datetime], None]) -> None:
    moment(START + timedelta(days=2, hours=2))
    first = cost_actuals_fetch()
    assert first.fetched == [project.aws_account_id] and first.calls == 1
    assert cost_actuals_fetch().skipped == [project.aws_account_id]
    moment(START + timedelta(days=2, hours=12))
    assert cost_actuals_fetch().calls == 0 and ce_calls() == 1
    rows = {r.day.isoformat(): r for r in EnvironmentDailyCost.objects.filter(
        environment=running)}
    assert rows["2026-11-10"].usd == hourly(running) * 14
    assert rows["2026-11-11"].usd == hourly(running) * 12  # yesterday, as far as AWS knows
    assert AuditEvent.objects.filter(action="cost.actuals_fetched").count() == 1

    moment(START + timedelta(days=3, hours=2))  # the next UTC day: one more read
    assert cost_actuals_fetch().fetched == [project.aws_account_id] and ce_calls() == 2
    assert EnvironmentDailyCost.objects.get(environment=running, day="2026-11-11").usd \
        == hourly(running) * 24  # the day, complete now, replaced the partial figure
    actual = environment_actuals(running)
    assert actual.month_usd == (hourly(running) * 50).quantize(Decimal("0.01"))
    assert actual.as_of is not None and actual.as_of.isoformat() == "2026-11-12"
    assert actual.estimated


def test_every_page_is_read(running: Environment, project: Project, settings: Any,
                            shapes_catalog: dict[str, Product], scientist: User,
                            moment: Callable[[datetime], None]) -> None:
    settings.FAKEAWS_CE_PAGE_GROUPS = 1
    moment(START + timedelta(hours=1))
    second = provisioned(project, shapes_catalog[NOTEBOOK], scientist)
    moment(START + timedelta(days=3, hours=2))
    report = cost_actuals_fetch()
    assert report.calls > 5  # 41 periods of last and this month, more than one group on some
    assert EnvironmentDailyCost.objects.filter(environment=running).count() == 3
    assert EnvironmentDailyCost.objects.get(environment=second, day="2026-11-10").usd \
        == hourly(second) * 13


def test_an_environment_without_a_cost_row_says_so(
        running: Environment, project: Project, scientist: User, client: Client,
        moment: Callable[[datetime], None]) -> None:
    moment(START + timedelta(hours=6))  # same day: Cost Explorer has nothing for it yet
    cost_actuals_fetch()
    actual = environment_actuals(running)
    assert actual.month_usd is None and actual.total_usd is None
    assert actual.as_of is not None
    client.force_login(scientist)
    page = client.get(reverse("provisioning:environment_detail", args=[running.pk]))
    assert "no cost by its tag this month" in page.content.decode()
    assert 'id="cost-actual-as-of">as of 2026-11-09' in page.content.decode()


def test_the_pages_show_the_actuals_beside_the_meter(
        running: Environment, project: Project, scientist: User, colleague: User, client: Client,
        moment: Callable[[datetime], None]) -> None:
    moment(START + timedelta(days=2, hours=2))
    cost_actuals_fetch()
    expected = (hourly(running) * 26).quantize(Decimal("0.01"))
    client.force_login(scientist)
    page = client.get(reverse("provisioning:environment_detail", args=[running.pk]))
    assert f"${expected} this month" in page.content.decode()
    Membership.objects.filter(user=colleague, project=project).update(
        role=Membership.ProjectRole.LEAD)
    client.force_login(colleague)
    page = client.get(reverse("projects:project_detail", args=[project.slug]))
    assert page.status_code == 200
    text = page.content.decode()
    assert f"<strong>${expected}</strong> this month as of 2026-11-11" in text
    assert f'<td class="actual">${expected}</td>' in text


def test_an_unreadable_account_is_retried_at_the_next_sweep(
        running: Environment, project: Project, moment: Callable[[datetime], None],
        settings: Any) -> None:
    from fakeaws.models import FaultRule

    moment(START + timedelta(days=2))
    FaultRule.objects.create(service="ce", operation="GetCostAndUsage",
                             code="AccessDeniedException", status=400,
                             message="not allowed", remaining=1, created_at=timezone.now())
    failed = cost_actuals_fetch()
    assert list(failed.failed) == [project.aws_account_id]
    assert not EnvironmentDailyCost.objects.exists()
    assert cost_actuals_fetch().fetched == [project.aws_account_id]
    assert EnvironmentDailyCost.objects.filter(environment=running).exists()


def test_an_environment_s_actuals_are_one_statement(
        running: Environment, project: Project, django_assert_num_queries: Any) -> None:
    """Issue 16: the daily costs' sums and the account's last good fetch in one statement
    (the page reads the environment with its project); a later failed fetch and another
    account's fetch are not the account's last good one."""
    from datetime import date

    assert running.project == project  # read with the environment, as the page does

    def fetch(day: date, *, account: str = project.aws_account_id, error: str = "") -> None:
        CostActualsFetch.objects.create(
            aws_account_id=account, day=day, through=day - timedelta(days=1), error=error,
            fetched_at=datetime(day.year, day.month, day.day, 3, 30, tzinfo=UTC))

    def cost(day: date, usd: str, *, estimated: bool) -> None:
        EnvironmentDailyCost.objects.create(environment=running, day=day, usd=Decimal(usd),
                                            estimated=estimated, fetched_at=timezone.now())

    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    with django_assert_num_queries(1):
        nothing = environment_actuals(running, now=now)
    assert (nothing.month_usd, nothing.total_usd, nothing.estimated, nothing.as_of,
            nothing.fetched_at) == (None, None, False, None, None)
    fetch(date(2026, 12, 2))
    fetch(date(2026, 12, 3), error="throttled")
    fetch(date(2026, 12, 4), account="999999999999")
    cost(date(2026, 11, 30), "10.1250", estimated=False)
    cost(date(2026, 12, 1), "1.1000", estimated=False)
    cost(date(2026, 12, 2), "2.2049", estimated=True)
    with django_assert_num_queries(1):
        actual = environment_actuals(running, now=now)
    assert (actual.month_usd, actual.total_usd, actual.estimated) == (
        Decimal("3.30"), Decimal("13.43"), True)
    assert actual.as_of == date(2026, 12, 1)
    assert actual.fetched_at == datetime(2026, 12, 2, 3, 30, tzinfo=UTC)
    EnvironmentDailyCost.objects.filter(day__gte=date(2026, 12, 1)).update(estimated=False)
    later = environment_actuals(running, now=now)
    assert not later.estimated and later.month_usd == Decimal("3.30")
    EnvironmentDailyCost.objects.filter(day__gte=date(2026, 12, 1)).delete()
    assert environment_actuals(running, now=now).month_usd is None
