"""Celery shells and the periodic schedule of the catalog sync."""

from __future__ import annotations

import pytest

from catalog.models import Product, SyncRun
from catalog.sync import sync_run_start
from catalog.tasks import catalog_sync_periodic, catalog_sync_task
from config.schedules import beat_schedule
from portal.models import Project, User

pytestmark = pytest.mark.django_db


def test_the_task_runs_a_queued_sync(project: Project, platform_admin: User) -> None:
    run = sync_run_start(trigger=SyncRun.Trigger.BUTTON, requested_by=platform_admin)
    assert catalog_sync_task.apply(args=[run.pk]).get() == "succeeded"
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED and run.added > 0
    assert Product.objects.count() == 3


def test_running_the_task_twice_syncs_once(project: Project) -> None:
    run = sync_run_start(trigger=SyncRun.Trigger.BUTTON)
    catalog_sync_task.apply(args=[run.pk])
    assert catalog_sync_task.apply(args=[run.pk]).get() == "skipped"


def test_the_periodic_task_records_its_own_run(project: Project) -> None:
    assert catalog_sync_periodic.apply().get() == "succeeded"
    assert SyncRun.objects.get().trigger == SyncRun.Trigger.SCHEDULE


def test_the_schedule_comes_from_the_setting(settings: object) -> None:
    settings.PORTAL_CATALOG_SYNC_SECONDS = 900  # type: ignore[attr-defined]
    assert beat_schedule()["catalog-sync"] == {"task": "catalog.tasks.catalog_sync_periodic",
                                               "schedule": 900.0}
    settings.PORTAL_CATALOG_SYNC_SECONDS = 0  # type: ignore[attr-defined]
    assert "catalog-sync" not in beat_schedule()


def test_a_run_interrupted_by_a_lost_worker_is_synced_again(project: Project) -> None:
    run = sync_run_start(trigger=SyncRun.Trigger.BUTTON)
    SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.RUNNING)
    assert catalog_sync_task.apply(args=[run.pk]).get() == "succeeded"
