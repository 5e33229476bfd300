"""Celery shells around the catalog sync."""

from __future__ import annotations

from catalog.models import SyncRun
from catalog.services import sync_runs_sweep
from catalog.sync import catalog_sync, sync_run_start
from portal.tasking import shared_task


@shared_task(name="catalog.tasks.catalog_sync_task", acks_late=True, reject_on_worker_lost=True)
def catalog_sync_task(run_id: int) -> str:
    """Run a queued sync (the "Sync now" button); a finished run is left alone.

    A run still marked running was interrupted (the worker died and the broker redelivered the
    task): syncing again is safe because the sync is idempotent.
    """
    run = SyncRun.objects.filter(
        pk=run_id, status__in=[SyncRun.Status.QUEUED, SyncRun.Status.RUNNING]
    ).first()
    if run is None:
        return "skipped"
    return catalog_sync(run=run).status


@shared_task(name="catalog.tasks.catalog_sync_periodic", acks_late=True,
             reject_on_worker_lost=True)
def catalog_sync_periodic() -> str:
    run = sync_run_start(trigger=SyncRun.Trigger.SCHEDULE)
    return catalog_sync(run=run).status


@shared_task(name="catalog.tasks.sync_runs_sweep", acks_late=True, reject_on_worker_lost=True)
def sync_runs_sweep_task() -> int:
    """Send again the "Sync now" runs the broker never took (scheduled with the sweeper)."""
    return sync_runs_sweep()
