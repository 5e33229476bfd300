"""After "Sync now" the recent syncs table updates without a reload while a run is queued or
running, and stops polling once every shown run has finished; platform admins only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from catalog.models import SyncRun
from portal.models import User

pytestmark = pytest.mark.django_db

POLL = 'hx-get="/catalog/manage/sync/runs" hx-trigger="every 3s"'


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_queued_run_polls_until_it_finishes(platform_admin: User) -> None:
    run = SyncRun.objects.create(trigger=SyncRun.Trigger.BUTTON, requested_by=platform_admin)
    client = _login(platform_admin)
    assert POLL in client.get("/catalog/manage/").content.decode()
    body = client.get("/catalog/manage/sync/runs").content.decode()
    assert POLL in body and f'data-run="{run.pk}"' in body and "Queued" in body
    SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.SUCCEEDED, added=3)
    body = client.get("/catalog/manage/sync/runs").content.decode()
    assert "Succeeded" in body and "<td>3</td>" in body and POLL not in body
    assert POLL not in client.get("/catalog/manage/").content.decode()


def test_the_fragment_is_for_platform_admins_only(scientist: User, platform_admin: User) -> None:
    SyncRun.objects.create(trigger=SyncRun.Trigger.BUTTON, requested_by=platform_admin)
    assert _login(scientist).get("/catalog/manage/sync/runs").status_code == 403
    assert Client().get("/catalog/manage/sync/runs").status_code == 401


def test_the_fragment_costs_a_few_queries(platform_admin: User,
                                          django_assert_max_num_queries: Any) -> None:
    for _ in range(5):
        SyncRun.objects.create(trigger=SyncRun.Trigger.BUTTON, requested_by=platform_admin)
    client = _login(platform_admin)
    client.get("/catalog/manage/sync/runs")
    with django_assert_max_num_queries(4):
        body = client.get("/catalog/manage/sync/runs").content.decode()
    assert body.count("data-run=") == 5
