"""Budgets (issue 14): the month forecast, refusal with the figures at request time, the
approver's picture, and the 80 % / 100 % threshold notices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from approvals.errors import RequestInvalid
from approvals.models import Request
from catalog.models import Product
from portal.models import AuditEvent, Membership, Notification, Project, User
from provisioning.models import Environment
from quotas import budgets
from quotas.budgets import hours_left, month_end, month_to_date_by_project, project_forecast
from quotas.models import BudgetNotice
from quotas.notices import budget_notices_sweep
from tests.approvals.conftest import make_environment, request_notebook

pytestmark = pytest.mark.django_db
LAST_DAY = datetime(2026, 12, 31, 14, 0, tzinfo=UTC)  # 10 h before the year ends


def _clock(monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
    monkeypatch.setattr(budgets, "timezone", SimpleNamespace(now=lambda: now))


def _running_since(owner: User, project: Project, product: Product, instance_type: str,
                   since: datetime, status: str = "available") -> Environment:
    environment = make_environment(owner, project, product, status=status)
    Environment.objects.filter(pk=environment.pk).update(
        created_at=since, available_at=since, parameters={"InstanceType": instance_type})
    return Environment.objects.get(pk=environment.pk)


def _refuse(project: Project, budget: str) -> None:
    project.budget_policy = Project.BudgetPolicy.REFUSE
    project.monthly_budget = Decimal(budget)
    project.save(update_fields=["budget_policy", "monthly_budget"])


def test_month_end_and_hours_left_cross_the_year() -> None:
    assert month_end(LAST_DAY) == datetime(2027, 1, 1, tzinfo=UTC)
    assert month_end(datetime(2026, 2, 10, tzinfo=UTC)) == datetime(2026, 3, 1, tzinfo=UTC)
    assert hours_left(LAST_DAY) == Decimal(10)


def test_forecast_is_this_months_spend_plus_what_runs_until_the_month_ends(
        scientist: User, project: Project, notebook: Product) -> None:
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 2 h into December, 742 h left
    # Running since November 30 12:00: only December's 2 h count as spend.
    _running_since(scientist, project, notebook, "ml.m5.xlarge",  # $0.23/h
                   datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    # Stopped (no storage price in the region): costs nothing more this month.
    _running_since(scientist, project, notebook, "ml.p3.2xlarge",
                   datetime(2026, 11, 29, tzinfo=UTC), status="stopped")
    gone = _running_since(scientist, project, notebook, "ml.p3.2xlarge",
                          datetime(2026, 11, 1, tzinfo=UTC), status="terminated")
    Environment.objects.filter(pk=gone.pk).update(terminated_at=datetime(2026, 11, 20, tzinfo=UTC))
    request_notebook(scientist, project, notebook, "ml.t3.medium")  # pending: $36.50 a month
    forecast = project_forecast(project, now)
    assert forecast.month_to_date == Decimal("0.46")
    # 0.23 × 742 = 170.66 running, 36.50 / 730 × 742 = 37.10 asked for.
    assert forecast.committed == Decimal("207.76")
    assert forecast.total == Decimal("208.22")
    assert forecast.budget == Decimal("2000")


def test_exactly_at_the_budget_is_allowed(
        monkeypatch: pytest.MonkeyPatch, scientist: User, project: Project,
        notebook: Product) -> None:
    _clock(monkeypatch, LAST_DAY)
    _refuse(project, "38.25")  # ml.p3.2xlarge: $3.825/h × 10 h left
    request_notebook(scientist, project, notebook, "ml.p3.2xlarge")
    assert Request.objects.filter(project=project).count() == 1


def test_one_cent_over_is_refused_with_the_figures_and_nothing_created(
        monkeypatch: pytest.MonkeyPatch, scientist: User, project: Project,
        notebook: Product) -> None:
    _clock(monkeypatch, LAST_DAY)
    _refuse(project, "38.24")
    before = (Request.objects.count(), AuditEvent.objects.count())
    with pytest.raises(RequestInvalid) as caught:
        request_notebook(scientist, project, notebook, "ml.p3.2xlarge")
    assert (Request.objects.count(), AuditEvent.objects.count()) == before
    [message] = caught.value.errors["limits"]
    assert message.startswith("The budget of project fraud for December 2026 is $38.24. "
                              "Its forecast is already $0.00 ($0.00 spent so far, $0.00 "
                              "committed")
    assert "would add $38.25 ($3.825/h × 10.0 h), taking it to $38.25." in message


def test_what_runs_and_what_is_asked_for_counts_and_the_policy_off_never_refuses(
        monkeypatch: pytest.MonkeyPatch, scientist: User, project: Project,
        notebook: Product) -> None:
    _clock(monkeypatch, LAST_DAY)
    _refuse(project, "40")
    request_notebook(scientist, project, notebook, "ml.p3.2xlarge")  # 38.25 committed
    with pytest.raises(RequestInvalid) as caught:
        request_notebook(scientist, project, notebook, "ml.m5.xlarge")  # + 2.30
    assert "Its forecast is already $38.25" in caught.value.errors["limits"][0]
    project.budget_policy = Project.BudgetPolicy.OFF
    project.save(update_fields=["budget_policy"])
    request_notebook(scientist, project, notebook, "ml.t3.medium")
    assert Request.objects.filter(project=project).count() == 2


def test_the_approver_sees_spend_forecast_and_budget(
        monkeypatch: pytest.MonkeyPatch, client: Client, gpu_request: Any, manager: User
        ) -> None:
    _clock(monkeypatch, LAST_DAY)
    client.force_login(manager)
    body = client.get(f"/requests/{gpu_request.pk}/").content.decode()
    assert "so far this month of $2000.00" in body
    # The request itself is asked for: 2792.25 / 730 × 10 h.
    assert 'forecast for the month <span id="project-forecast">$38.25</span> (1.9%)' in body


def _over(project: Project, owner: User, product: Product, budget: str) -> None:
    project.monthly_budget = Decimal(budget)
    project.save(update_fields=["monthly_budget"])
    _running_since(owner, project, product, "ml.m5.4xlarge",  # $0.922/h
                   datetime(2026, 12, 1, tzinfo=UTC))


def test_threshold_notices_go_to_the_leads_once_per_month_each(
        scientist: User, manager: User, project: Project, notebook: Product) -> None:
    _over(project, scientist, notebook, "100")
    at_83 = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)  # 90 h × 0.922 = 82.98
    assert budget_notices_sweep(at_83).sent == [("fraud", 80)]
    assert budget_notices_sweep(at_83).sent == []  # run twice: one notice
    [notice] = Notification.objects.all()
    assert notice.recipient == manager and notice.kind == "budget"
    assert "$82.98 this month: 80 %" in notice.text
    at_101 = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)  # 110 h: 101.42
    assert budget_notices_sweep(at_101).sent == [("fraud", 100)]
    assert budget_notices_sweep(at_101).sent == []
    assert Notification.objects.filter(recipient=manager).count() == 2
    assert set(BudgetNotice.objects.values_list("percent", flat=True)) == {80, 100}
    assert AuditEvent.objects.filter(action="budget.threshold_notified").count() == 2
    # Members who are not leads are not told.
    assert not Notification.objects.filter(recipient=scientist).exists()


def test_the_sweep_runs_constant_queries(
        scientist: User, manager: User, project: Project, notebook: Product) -> None:
    now = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    _over(project, scientist, notebook, "100")
    budget_notices_sweep(now)

    def quiet_sweep() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert budget_notices_sweep(now).sent == []
        return len(queries)

    few = quiet_sweep()
    for index in range(3):
        other = Project.objects.create(
            slug=f"p{index}", name=f"P{index}", cost_center="CC", environment="dev",
            aws_account_id="111111111111", aws_region="eu-west-1",
            monthly_budget=Decimal("100000"))
        Membership.objects.create(user=manager, project=other, role="lead")
        _over(other, scientist, notebook, "100000")
    assert quiet_sweep() == few <= 6


def test_the_sweep_meters_in_bounded_batches_of_constant_queries(
        scientist: User, manager: User, project: Project, notebook: Product) -> None:
    now = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    project.monthly_budget = Decimal("1000000")
    project.save(update_fields=["monthly_budget"])

    def queries_with(environments: int) -> int:
        while Environment.objects.filter(project=project).count() < environments:
            _running_since(scientist, project, notebook, "ml.m5.4xlarge",
                           datetime(2026, 12, 1, tzinfo=UTC))
        with CaptureQueriesContext(connection) as queries:
            assert budget_notices_sweep(now, batch=2).sent == []
        return len(queries)

    # Two batches (2 + 1), then three (2 + 2 + 1), then four (2 + 2 + 2 + 1): three queries
    # more per batch (environments, edges, the two price tables in one UNION ALL), nothing per
    # environment.
    three, five, seven = queries_with(3), queries_with(5), queries_with(7)
    assert five - three == 3 and seven - five == 3
    assert month_to_date_by_project([project.pk], now, batch=2)[project.pk] \
        == month_to_date_by_project([project.pk], now, batch=100)[project.pk] > 0


def test_over_budget_with_the_approval_policy_adds_a_platform_admin_step(
        monkeypatch: pytest.MonkeyPatch, client: Client, settings: Any, scientist: User,
        manager: User, platform_admin: User, project: Project, notebook: Product) -> None:
    from approvals.models import ApprovalTask
    from approvals.services import request_approve

    settings.PORTAL_APPROVAL_DEFAULT = "auto"  # the policy alone would approve at once
    _clock(monkeypatch, LAST_DAY)
    _refuse(project, "38.25")
    project.budget_policy = Project.BudgetPolicy.APPROVAL
    project.save(update_fields=["budget_policy"])
    within = request_notebook(scientist, project, notebook, "ml.p3.2xlarge")  # exactly at it
    assert within.status == "approved" and within.extra_review == ""
    project.monthly_budget = Decimal("38.24")
    project.save(update_fields=["monthly_budget"])
    Request.objects.filter(pk=within.pk).update(status="cancelled")  # counts no more
    over = request_notebook(scientist, project, notebook, "ml.p3.2xlarge")
    assert over.status == "pending"
    assert "would add $38.25 ($3.825/h × 10.0 h), taking it to $38.25." in over.extra_review
    [task] = ApprovalTask.objects.filter(request=over)
    assert task.name == "Budget review"
    client.force_login(platform_admin)
    body = client.get(f"/requests/{over.pk}/").content.decode()
    assert 'id="extra-review"' in body and "A platform admin decides" in body
    assert 'id="project-forecast"' in body
    request_approve(task=task, approver=platform_admin, comment="One-off.")
    over.refresh_from_db()
    assert over.status == "approved"


def test_the_sweep_task_is_scheduled_from_the_setting(
        settings: Any, monkeypatch: pytest.MonkeyPatch, scientist: User, project: Project,
        notebook: Product) -> None:
    from config.schedules import beat_schedule
    from quotas import notices
    from quotas.tasks import budget_notices_sweep_task

    settings.PORTAL_BUDGET_SWEEP_SECONDS = 600
    assert beat_schedule()["budget-notices-sweep"] == {
        "task": "quotas.tasks.budget_notices_sweep", "schedule": 600.0}
    settings.PORTAL_BUDGET_SWEEP_SECONDS = 0
    assert "budget-notices-sweep" not in beat_schedule()
    project.monthly_budget = Decimal("0.01")  # anything metered this month is over it
    project.save(update_fields=["monthly_budget"])
    # The task sweeps at the clock's now: a fixed one, mid-month, so that the hours metered this
    # month never depend on when the test runs (at the wall clock's first seconds of a month,
    # nothing is metered yet).
    now = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(notices, "timezone", SimpleNamespace(now=lambda: now))
    _running_since(scientist, project, notebook, "ml.m5.4xlarge", datetime(2026, 6, 1, tzinfo=UTC))
    assert budget_notices_sweep_task.apply().get() == 2  # 80 % and 100 % at once
    assert set(BudgetNotice.objects.values_list("month", "percent")) == {
        (now.date().replace(day=1), 80), (now.date().replace(day=1), 100)}


def test_a_change_that_costs_more_per_hour_is_weighed_by_the_difference(
        monkeypatch: pytest.MonkeyPatch, scientist: User, project: Project,
        notebook: Product) -> None:
    """Day 2 (issue 14): resizing a running notebook adds the hourly difference for the hours
    left; a change that costs no more, or to a stopped notebook, is not weighed."""
    from approvals.services import request_create

    _clock(monkeypatch, LAST_DAY)  # 10 h left
    running = _running_since(scientist, project, notebook, "ml.m5.xlarge",  # $0.23/h
                             LAST_DAY - timedelta(hours=1))
    Environment.objects.filter(pk=running.pk).update(parameters={
        "NotebookInstanceName": "dana-nb", "InstanceType": "ml.m5.xlarge"})
    # Spent 0.23, committed 2.30: 2.53. To a GPU: (3.825 - 0.23) × 10 = 35.95 more.
    _refuse(project, "38.47")

    def change(instance_type: str) -> Request:
        return request_create(
            requester=scientist, project_slug=project.slug, product_id=notebook.pk,
            parameters={"NotebookInstanceName": "dana-nb", "InstanceType": instance_type},
            tag_choices={"data-classification": "internal"}, justification="Resize",
            action=Request.Action.UPDATE, environment_ref=str(running.pk))

    with pytest.raises(RequestInvalid) as caught:
        change("ml.p3.2xlarge")
    [message] = caught.value.errors["limits"]
    assert "this change of" in message and "would add $35.95 ($3.595/h × 10.0 h)" in message
    assert not Request.objects.filter(action="update").exists()
    change("ml.t3.medium")  # cheaper: nothing added
    Request.objects.filter(action="update").update(status=Request.Status.CANCELLED)
    _refuse(project, "38.48")  # exactly at the budget fits
    change("ml.p3.2xlarge")
    Request.objects.filter(action="update").update(status=Request.Status.CANCELLED)
    _refuse(project, "10")
    Environment.objects.filter(pk=running.pk).update(status="stopped")
    change("ml.p3.2xlarge")  # stopped: checked when it starts, not here
