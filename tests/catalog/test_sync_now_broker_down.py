""""Sync now" with the broker down: the answer is "queued" (never a 500), the run is recorded,
and the sweep sends it once the broker is back, to a real worker that runs it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError
from kombu.messaging import Producer

from catalog.models import SyncRun
from catalog.services import sync_runs_sweep
from config.schedules import beat_schedule
from portal.models import Project, User
from tests.provisioning.worker import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)


class BrokerDown:
    """kombu's publish refuses, as it does once Celery's publish retries against a dead Redis
    are used up; ``attempts`` counts what reached it."""

    def __init__(self) -> None:
        self.attempts = 0

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.attempts += 1
        raise OperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")


@pytest.fixture(autouse=True)
def _celerys_own_send(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sync task sends through Celery's own ``apply_async``: a fake left on the task object
    by another test's undone patch (monkeypatch restores an instance attribute it read through
    a patched class) would swallow the message before it reaches kombu."""
    from catalog.tasks import catalog_sync_task

    task = catalog_sync_task._get_current_object()  # type: ignore[attr-defined]
    for name in ("apply_async", "delay"):
        if name in vars(task):
            monkeypatch.delattr(task, name)


@pytest.fixture
def broker_down(monkeypatch: pytest.MonkeyPatch) -> Iterator[BrokerDown]:
    down = BrokerDown()
    with monkeypatch.context() as patch:
        patch.setattr(Producer, "publish", down)
        yield down


def test_sync_now_with_the_broker_down_answers_queued_and_records_the_run(
        client: Client, platform_admin: User, project: Project, broker_down: BrokerDown) -> None:
    client.force_login(platform_admin)
    response = client.post("/catalog/manage/sync/", follow=True)
    assert response.status_code == 200
    run = SyncRun.objects.get()
    assert f"Catalog sync #{run.pk} queued" in response.content.decode()
    assert broker_down.attempts >= 1  # the send was really tried, and refused
    assert run.status == SyncRun.Status.QUEUED and run.dispatched_at is None

    api = client.post("/api/v1/catalog/admin/sync")
    assert api.status_code == 202 and api.json()["status"] == "queued"
    assert SyncRun.objects.filter(status=SyncRun.Status.QUEUED, dispatched_at=None).count() == 2


def test_the_sweep_sends_a_queued_run_once_the_broker_is_back_and_a_worker_runs_it(
        client: Client, platform_admin: User, project: Project, settings: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    down = BrokerDown()
    with monkeypatch.context() as patch:
        patch.setattr(Producer, "publish", down)
        client.force_login(platform_admin)
        assert client.post("/catalog/manage/sync/").status_code == 302
        assert sync_runs_sweep() == 0  # just asked: its own send may still be on its way
        SyncRun.objects.update(created_at=timezone.now() - timedelta(minutes=5))
        assert sync_runs_sweep() == 1  # the broker is still down: tried again, still queued
    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.QUEUED and run.dispatched_at is None

    worker = WorkerProcess()
    worker.start(purge=True)
    try:
        assert sync_runs_sweep() == 1  # the broker is back: sent, and noted as sent
        assert SyncRun.objects.get().dispatched_at is not None
        deadline = time.monotonic() + 60
        while SyncRun.objects.get().status in (SyncRun.Status.QUEUED, SyncRun.Status.RUNNING):
            assert time.monotonic() < deadline, worker.output()
            time.sleep(0.2)
    finally:
        worker.stop()
    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.SUCCEEDED, (run.errors, worker.output())
    assert sync_runs_sweep() == 0  # finished: never sent again


def test_a_run_sent_long_ago_and_still_queued_is_sent_again(
        platform_admin: User, project: Project, monkeypatch: pytest.MonkeyPatch,
        settings: Any) -> None:
    from catalog import tasks

    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.catalog_sync_task, "apply_async",
                        lambda args, **kwargs: sent.append(tuple(args)))
    run = SyncRun.objects.create(trigger=SyncRun.Trigger.BUTTON, requested_by=platform_admin)
    SyncRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - timedelta(minutes=10),
        dispatched_at=timezone.now() - timedelta(seconds=30))
    settings.PORTAL_STALLED_AFTER_SECONDS = 60
    assert sync_runs_sweep() == 0 and sent == []  # sent 30 s ago: not lost yet
    settings.PORTAL_STALLED_AFTER_SECONDS = 20
    assert sync_runs_sweep() == 1 and sent == [(run.pk,)]
    assert sync_runs_sweep() == 0  # the broker took it just now: not lost again yet
    # Runs of the command or the schedule are never queued for a worker: left alone.
    SyncRun.objects.create(trigger=SyncRun.Trigger.SCHEDULE)
    SyncRun.objects.exclude(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    assert sync_runs_sweep() == 0 and sent == [(run.pk,)]


def test_the_sync_run_sweep_is_scheduled_with_the_sweeper(settings: Any) -> None:
    settings.PORTAL_SWEEPER_SECONDS = 30
    assert beat_schedule()["catalog-sync-runs-sweep"] == {
        "task": "catalog.tasks.sync_runs_sweep", "schedule": 30.0}
