from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals.models import Request
from approvals.tasks import approval_tasks_sweep_task
from config.celery import app
from config.schedules import beat_schedule

pytestmark = pytest.mark.django_db


def test_the_sweep_is_in_the_beat_schedule_under_a_registered_task() -> None:
    entry = beat_schedule()["approvals-sweep"]
    assert entry["task"] == "approvals.tasks.approval_tasks_sweep"
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
    assert entry["schedule"] > 0


def test_the_task_expires_requests_pending_for_longer_than_the_expiry_days(
    gpu_request: Request, settings: object
) -> None:
    settings.PORTAL_APPROVAL_EXPIRY_DAYS = 3  # type: ignore[attr-defined]
    Request.objects.filter(pk=gpu_request.pk).update(
        created_at=timezone.now() - timedelta(days=3, minutes=1))
    assert approval_tasks_sweep_task() == {"reminded": 0, "escalated": 0, "expired": 1,
                                           "handed_off": 0}
    gpu_request.refresh_from_db()
    assert gpu_request.status == Request.Status.EXPIRED
    assert approval_tasks_sweep_task()["expired"] == 0  # safe to run twice


def test_the_sweep_hands_off_an_approved_request_whose_hand_off_was_lost(
    gpu_request: Request
) -> None:
    Request.objects.filter(pk=gpu_request.pk).update(
        status=Request.Status.APPROVED, decided_at=timezone.now() - timedelta(minutes=10))
    assert approval_tasks_sweep_task()["handed_off"] == 1
    gpu_request.refresh_from_db()
    assert gpu_request.handed_off_at is not None
    assert approval_tasks_sweep_task()["handed_off"] == 0


def test_the_hand_off_grace_is_the_sweep_setting(gpu_request: Request, settings: object) -> None:
    settings.PORTAL_STALLED_AFTER_SECONDS = 120  # type: ignore[attr-defined]
    Request.objects.filter(pk=gpu_request.pk).update(
        status=Request.Status.APPROVED, decided_at=timezone.now() - timedelta(seconds=90))
    assert approval_tasks_sweep_task()["handed_off"] == 0  # 90 s: its own hand-off may still run
    settings.PORTAL_STALLED_AFTER_SECONDS = 60  # type: ignore[attr-defined]
    assert approval_tasks_sweep_task()["handed_off"] == 1
    gpu_request.refresh_from_db()
    assert gpu_request.handed_off_at is not None
