"""The approver's page shows the project's spend this month beside the request's estimate."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.test import Client
from django.utils import timezone

from approvals import spend
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from provisioning.metering import month_start
from provisioning.models import Environment
from tests.approvals.conftest import make_environment


def test_the_approver_sees_the_projects_spend_this_month_and_with_the_request(
        client: Client, gpu_request: Any, manager: User, colleague: User, project: Project,
        notebook: Product) -> None:
    now = timezone.now()
    start = month_start(now)
    end = start + min(timedelta(hours=10), (now - start) / 2)
    env = make_environment(colleague, project, notebook, status="terminated")
    Environment.objects.filter(pk=env.pk).update(
        created_at=start, parameters={"InstanceType": "ml.m5.4xlarge"})  # $0.9220/h
    for to, at in (("available", start), ("terminated", end)):
        AuditEvent(action="environment.status_changed", object_type="provisioning.environment",
                   object_id=str(env.pk), data={"to": to}, at=at).save()
    hours = Decimal((end - start).total_seconds()) / 3600
    so_far = (hours * Decimal("0.9220")).quantize(Decimal("0.01"))

    client.force_login(manager)
    body = client.get(f"/requests/{gpu_request.pk}/").content.decode()
    assert f"${so_far} so far this month of $2000.00" in body
    after = so_far + gpu_request.estimated_monthly_cost  # 3.825 × 730 = 2792.25
    assert f"with a month of this request ${after}" in body
    percent = (after * 100 / 2000).quantize(Decimal("0.1"))
    assert f'id="project-spend-after">{percent}%<' in body


def test_without_metering_registered_the_page_shows_the_estimate_only(
        client: Client, gpu_request: Any, manager: User, monkeypatch: Any) -> None:
    monkeypatch.setattr(spend, "_providers", [])
    client.force_login(manager)
    body = client.get(f"/requests/{gpu_request.pk}/").content.decode()
    assert 'id="estimated-cost"' in body and 'id="project-spend"' not in body
