"""Is a Celery worker doing the portal's background work? Answered from heartbeat rows.

Beat enqueues ``portal.tasks.worker_heartbeat`` every ``PORTAL_WORKER_HEARTBEAT_SECONDS``; the
worker that runs it records its node name and the time. A heartbeat that took the whole path
(beat, broker, worker, database) is what "a worker answered" means; reading it is one indexed
query, so ``/healthz/workers`` and the admin index stay fast and never wait on the broker.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from portal.models import WorkerHeartbeat


def worker_heartbeat_record(*, worker: str) -> WorkerHeartbeat:
    """A worker answered now (the heartbeat task, and a worker coming up)."""
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        worker=worker[:255], defaults={"answered_at": timezone.now()})
    return heartbeat


def worker_last_answer() -> datetime | None:
    answered_at: datetime | None = WorkerHeartbeat.objects.aggregate(
        last=Max("answered_at"))["last"]
    return answered_at


def worker_problem(*, now: datetime | None = None) -> str:
    """Empty while a worker answered within ``PORTAL_WORKER_SILENT_SECONDS``; else why not."""
    last = worker_last_answer()
    now = now or timezone.now()
    if last is None:
        return "no worker has answered yet"
    if now - last > timedelta(seconds=settings.PORTAL_WORKER_SILENT_SECONDS):
        return f"no worker has answered since {timezone.localtime(last):%Y-%m-%d %H:%M:%S %Z}"
    return ""
