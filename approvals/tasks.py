"""Celery shells of the approval workflow."""

from __future__ import annotations

from django.utils import timezone

from approvals.sweep import approval_tasks_sweep
from portal.metrics import sweeper_actions_count
from portal.tasking import shared_task


@shared_task(name="approvals.tasks.approval_tasks_sweep", acks_late=True,
             reject_on_worker_lost=True)
def approval_tasks_sweep_task() -> dict[str, int]:
    report = approval_tasks_sweep(now=timezone.now())
    counts = {"reminded": report.reminded, "escalated": report.escalated,
              "expired": report.expired, "handed_off": report.handed_off}
    sweeper_actions_count(sweep="approvals", report=counts)
    return counts
