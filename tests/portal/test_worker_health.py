"""Worker liveness: /healthz/workers and the admin index say when no worker has answered."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from portal.models import User, WorkerHeartbeat
from portal.tasks import worker_heartbeat_task
from tests.provisioning.worker import WorkerProcess


@pytest.fixture
def worker() -> Iterator[WorkerProcess]:
    process = WorkerProcess()
    process.start(purge=True)
    yield process
    process.stop()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_answers_the_heartbeat_and_healthz_workers_says_ok(
        worker: WorkerProcess, client: Client) -> None:
    assert client.get("/healthz/workers").status_code == 503

    worker_heartbeat_task.delay()  # what beat sends every PORTAL_WORKER_HEARTBEAT_SECONDS
    deadline = time.monotonic() + 60
    while not WorkerHeartbeat.objects.exists():
        assert time.monotonic() < deadline, "no heartbeat recorded:\n" + worker.output()
        time.sleep(0.2)

    heartbeat = WorkerHeartbeat.objects.get()
    assert heartbeat.worker.startswith("test-")  # the worker's node name (-n test-<pid>@host)
    response = client.get("/healthz/workers")
    assert response.status_code == 200
    assert response.content.decode().startswith("ok: a worker answered at ")


@pytest.mark.django_db
def test_with_no_worker_ever_healthz_workers_is_503_and_says_so(client: Client) -> None:
    response = client.get("/healthz/workers")

    assert response.status_code == 503
    assert response.content == b"no worker has answered yet"
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_a_silent_worker_is_reported_with_the_time_it_last_answered(
        client: Client, settings: object) -> None:
    last = timezone.now() - timedelta(seconds=181)  # PORTAL_WORKER_SILENT_SECONDS is 180
    WorkerHeartbeat.objects.create(worker="celery@old", answered_at=last)

    response = client.get("/healthz/workers")

    assert response.status_code == 503
    assert response.content.decode() == (
        f"no worker has answered since {timezone.localtime(last):%Y-%m-%d %H:%M:%S %Z}")


@pytest.mark.django_db
def test_a_worker_that_answered_within_the_window_is_ok(client: Client) -> None:
    WorkerHeartbeat.objects.create(worker="celery@a",
                                   answered_at=timezone.now() - timedelta(seconds=170))
    assert client.get("/healthz/workers").status_code == 200


def test_the_heartbeat_is_on_beats_schedule() -> None:
    from config.schedules import beat_schedule

    entry = beat_schedule()["portal-worker-heartbeat"]
    assert entry["task"] == "portal.tasks.worker_heartbeat"
    assert entry["schedule"] == 60.0


@pytest.mark.django_db
def test_the_admin_index_warns_platform_admins_when_no_worker_answers(
        client: Client, platform_admin: User) -> None:
    client.force_login(platform_admin)
    WorkerHeartbeat.objects.create(worker="celery@old",
                                   answered_at=timezone.now() - timedelta(hours=2))

    page = client.get("/admin/").content.decode()

    assert 'id="worker-problem"' in page
    assert "no worker has answered since" in page


@pytest.mark.django_db
def test_the_admin_index_is_quiet_while_a_worker_answers(
        client: Client, platform_admin: User) -> None:
    client.force_login(platform_admin)
    WorkerHeartbeat.objects.create(worker="celery@a", answered_at=timezone.now())

    page = client.get("/admin/")

    assert page.status_code == 200
    assert 'id="worker-problem"' not in page.content.decode()
