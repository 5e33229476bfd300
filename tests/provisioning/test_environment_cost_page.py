"""The environment page shows its metered cost so far and its running rate."""
# ruff: noqa: F811 - the fixtures imported from tests.approvals.conftest are arguments here

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.test import Client

from catalog.models import Product
from portal.models import AuditEvent, Project, User
from provisioning.models import Environment
from tests.approvals.conftest import (  # noqa: F401 - fixtures
    make_environment,
    mlops,
    notebook,
    prices,
    sent_tasks,
    studio,
)

FEB = datetime(2026, 2, 1, tzinfo=UTC)


def edge(environment: Environment, to: str, at: datetime) -> None:
    AuditEvent(action="environment.status_changed", object_type="provisioning.environment",
               object_id=str(environment.pk), data={"to": to}, at=at).save()


def test_a_terminated_notebook_shows_what_it_cost_and_nothing_this_month(
        client: Client, scientist: User, project: Project, notebook: Product) -> None:
    env = make_environment(scientist, project, notebook, status="terminated")
    Environment.objects.filter(pk=env.pk).update(created_at=FEB,
                                                 parameters={"InstanceType": "ml.m5.xlarge"})
    edge(env, "available", FEB)
    edge(env, "terminated", FEB + timedelta(hours=10))
    client.force_login(scientist)
    body = client.get(f"/environments/{env.pk}/").content.decode()
    assert 'id="cost-total">$2.30<' in body
    assert 'id="cost-month">$0.00<' in body
    assert "$0.2300 per hour · about $167.90 per month" in body


def test_a_studio_profile_is_priced_at_the_default_app_type(
        client: Client, scientist: User, project: Project, studio: Product,
        prices: None) -> None:
    env = make_environment(scientist, project, studio)
    client.force_login(scientist)
    body = client.get(f"/environments/{env.pk}/").content.decode()
    assert "$0.0500 per hour · about $36.50 per month" in body


def test_an_unpriced_product_says_so(client: Client, scientist: User, project: Project,
                                     mlops: Product) -> None:
    env = make_environment(scientist, project, mlops)
    client.force_login(scientist)
    body = client.get(f"/environments/{env.pk}/").content.decode()
    assert "unknown: no price for this product" in body


def test_my_environments_says_what_they_cost_this_month(
        client: Client, scientist: User, colleague: User, project: Project,
        notebook: Product) -> None:
    from django.utils import timezone

    from provisioning.metering import month_start

    start = month_start(timezone.now())
    end = start + min(timedelta(hours=10), (timezone.now() - start) / 2)
    mine = make_environment(scientist, project, notebook, status="terminated")
    theirs = make_environment(colleague, project, notebook, status="terminated")
    for env in (mine, theirs):
        Environment.objects.filter(pk=env.pk).update(
            created_at=start, parameters={"InstanceType": "ml.m5.xlarge"})
        edge(env, "available", start)
        edge(env, "terminated", end)
    hours = Decimal((end - start).total_seconds()) / 3600
    client.force_login(scientist)
    body = client.get("/environments/").content.decode()
    expected = (hours * Decimal("0.2300")).quantize(Decimal("0.01"))  # mine only
    assert f'cost <strong>${expected}</strong> this month' in body


def test_the_api_gives_an_environments_cost_so_far(
        scientist: User, project: Project, notebook: Product) -> None:
    from rest_framework.test import APIClient

    env = make_environment(scientist, project, notebook, status="terminated")
    Environment.objects.filter(pk=env.pk).update(created_at=FEB,
                                                 parameters={"InstanceType": "ml.m5.xlarge"})
    edge(env, "available", FEB)
    edge(env, "terminated", FEB + timedelta(hours=10))
    api = APIClient()
    api.force_authenticate(scientist)
    cost = api.get(f"/api/v1/environments/{env.pk}").json()["cost"]
    assert (cost["usd_since_created"], cost["usd_month_to_date"], cost["running_hours"],
            cost["usd_per_hour_running"], cost["priced"]) == (
        "2.30", "0.00", "10.00", "0.2300", True)
