"""The project view: leads see their project, line managers their reports' part, others a 404."""
# ruff: noqa: F811 - the fixtures imported from tests.approvals.conftest are arguments here

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from catalog.models import Product
from portal.models import AuditEvent, Membership, Project, User
from provisioning import team
from provisioning.models import Environment
from tests.approvals.conftest import (  # noqa: F401 - fixtures
    make_environment,
    notebook,
    other_manager,
    prices,
    sent_tasks,
)
from tests.conftest import make_user

NOW = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)


@pytest.fixture
def lead(project: Project) -> User:
    """Leads the project; nobody reports to them."""
    user = make_user("lena.lead")
    Membership.objects.create(user=user, project=project, role=Membership.ProjectRole.LEAD)
    return user


@pytest.fixture
def line_manager(db: None) -> User:
    """Manages `report` only, and is no member of the project."""
    return make_user("liam.linemanager")


@pytest.fixture
def report(project: Project, line_manager: User) -> User:
    user = make_user("rita.report", manager=line_manager)
    Membership.objects.create(user=user, project=project)
    return user


def running(owner: User, project: Project, product: Product, since: datetime,
            instance_type: str = "ml.t3.medium", name: str = "") -> Environment:
    env = make_environment(owner, project, product, status="available")
    Environment.objects.filter(pk=env.pk).update(
        created_at=since, parameters={"InstanceType": instance_type},
        provisioned_product_name=name or f"{owner.username}-nb-{env.pk.hex[:6]}")
    AuditEvent(action="environment.status_changed", object_type="provisioning.environment",
               object_id=str(env.pk), data={"from": "provisioning", "to": "available"},
               at=since).save()
    env.refresh_from_db()
    return env


def page(client: Client, user: User | None, path: str) -> Any:
    if user is not None:
        client.force_login(user)
    return client.get(path)


def test_a_lead_sees_every_members_environments_and_requests(
        client: Client, lead: User, scientist: User, colleague: User, project: Project,
        notebook: Product) -> None:
    mine = running(scientist, project, notebook, NOW, name="dana-fraud-nb")
    theirs = running(colleague, project, notebook, NOW, name="carl-fraud-nb")
    response = page(client, lead, "/projects/fraud/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-environment-name="dana-fraud-nb"' in body
    assert 'data-environment-name="carl-fraud-nb"' in body
    assert body.count("Origin of a test environment") == 0  # justifications are not shown
    assert body.count('<td>Dana Example</td>') == 2  # env owner and the origin request's requester
    assert 'id="monthly-budget">$2000.00' in body and 'id="costs-csv"' in body
    # Environments are named, never linked by id: the lead cannot open their pages.
    assert str(mine.pk) not in body and str(theirs.pk) not in body


@pytest.mark.parametrize("who", ["scientist", "colleague", "outsider", "auditor",
                                 "other_manager"])
def test_anybody_else_gets_a_404(client: Client, who: str, request: pytest.FixtureRequest,
                                 project: Project, notebook: Product) -> None:
    user = request.getfixturevalue(who)
    for path in ("/projects/fraud/", "/projects/fraud/costs.csv", "/projects/nope/"):
        assert page(client, user, path).status_code == 404, (who, path)
    api = APIClient()
    api.force_authenticate(user)
    assert api.get("/api/v1/projects/fraud/summary").status_code == 404


def test_anonymous_is_sent_to_sign_in_and_the_api_answers_401(client: Client,
                                                              project: Project) -> None:
    assert page(client, None, "/projects/fraud/").status_code == 302
    assert APIClient().get("/api/v1/projects/fraud/summary").status_code == 401


def test_a_line_manager_sees_only_their_reports_part(
        client: Client, line_manager: User, report: User, scientist: User, project: Project,
        notebook: Product) -> None:
    running(report, project, notebook, NOW, name="rita-nb")
    running(scientist, project, notebook, NOW, name="dana-nb")
    response = page(client, line_manager, "/projects/fraud/")
    body = response.content.decode()
    assert response.status_code == 200 and 'id="scope-note"' in body
    assert 'data-environment-name="rita-nb"' in body
    assert "dana-nb" not in body and "Dana Example" not in body
    assert 'id="costs-csv"' not in body
    assert page(client, line_manager, "/projects/fraud/costs.csv").status_code == 403


def test_an_inactive_project_is_a_404_even_for_its_lead(client: Client, lead: User,
                                                        project: Project) -> None:
    Project.objects.filter(pk=project.pk).update(active=False)
    assert page(client, lead, "/projects/fraud/").status_code == 404


def test_the_summary_meters_month_to_date_against_the_budget(
        lead: User, scientist: User, colleague: User, project: Project,
        notebook: Product) -> None:
    # Running since February: only March's 10 days 12 hours count (252 h × $0.23).
    running(scientist, project, notebook, datetime(2026, 2, 20, tzinfo=UTC), "ml.m5.xlarge")
    running(colleague, project, notebook, NOW - timedelta(hours=10))  # 10 h × $0.05
    summary = team.project_summary(scope=team.project_scope_for_user(user=lead, slug="fraud"),
                                   now=NOW)
    assert summary.month_to_date == Decimal("57.96") + Decimal("0.50")
    assert summary.budget_used_percent == Decimal("2.9")  # 58.46 / 2000
    assert [(p.user.username, p.month_to_date) for p in summary.people] == [
        ("dana.scientist", Decimal("57.96")), ("carl.colleague", Decimal("0.50"))]


@pytest.mark.parametrize("api", [False, True])
def test_the_view_runs_a_constant_number_of_queries(
        api: bool, lead: User, scientist: User, project: Project, notebook: Product) -> None:
    client: Client = APIClient() if api else Client()
    client.force_login(lead)
    path = "/api/v1/projects/fraud/summary" if api else "/projects/fraud/"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    running(scientist, project, notebook, NOW)
    one = count()
    for _ in range(12):
        running(scientist, project, notebook, NOW)
    assert count() == one
    if api:
        assert len(client.get(path).json()["environments"]) == 13


def test_the_api_summary_says_scope_budget_and_month_to_date(
        lead: User, scientist: User, project: Project, notebook: Product) -> None:
    running(scientist, project, notebook, NOW, name="dana-nb")
    api = APIClient()
    api.force_authenticate(lead)
    data = api.get("/api/v1/projects/fraud/summary").json()
    assert data["project"] == "fraud" and data["scope"] == "project"
    assert data["monthly_budget_usd"] == "2000.00"
    assert [e["name"] for e in data["environments"]] == ["dana-nb"]
    assert data["environments"][0]["estimated_monthly_usd"] == "36.50"
    assert [r["requester"] for r in data["requests"]] == ["dana.scientist"]


def test_the_csv_export_is_streamed_per_environment_and_escapes_formulas(
        client: Client, lead: User, scientist: User, project: Project,
        notebook: Product) -> None:
    running(scientist, project, notebook, datetime(2026, 2, 20, tzinfo=UTC), "ml.m5.xlarge",
            name="=HYPERLINK-nb")
    response = page(client, lead, "/projects/fraud/costs.csv?month=2026-02")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="fraud-costs-2026-02.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["environment"], r["running_hours"], r["usd"]) for r in rows] == [
        ("'=HYPERLINK-nb", "216.00", "49.68")]  # 9 days × 24 h × $0.23


@pytest.mark.parametrize("month", ["2026-13", "march", "2999-01"])
def test_a_bad_month_is_a_clear_400(client: Client, lead: User, month: str) -> None:
    response = page(client, lead, f"/projects/fraud/costs.csv?month={month}")
    assert response.status_code == 400 and b"YYYY-MM" in response.content


def test_the_menu_offers_projects_to_leads_and_line_managers_only(
        client: Client, lead: User, line_manager: User, report: User, scientist: User) -> None:
    for user, shown in ((lead, True), (line_manager, True), (scientist, False)):
        body = page(client, user, "/").content.decode()
        assert ('href="/projects/"' in body) is shown, user
    body = page(client, line_manager, "/projects/").content.decode()
    assert 'data-project="fraud"' in body
