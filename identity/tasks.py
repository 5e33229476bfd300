"""Celery shells of the handovers: one transfer per task (retried on transient AWS errors), and
the beat sweep that terminates leavers' environments once their grace period is over."""

from __future__ import annotations

from typing import Any

from celery import Task
from django.conf import settings
from django.utils import timezone

from identity import handover, handover_tags
from portal.tasking import shared_bound_task, shared_task, task_enqueue_on_commit
from provisioning.backends import Transient
from provisioning.services import follow_delay
from provisioning.tasks import provision_retry_delay

TRANSFER_RETRIES = 8


@shared_bound_task(name="identity.tasks.handover_transfer", acks_late=True,
                   reject_on_worker_lost=True, max_retries=TRANSFER_RETRIES)
def handover_transfer_task(self: Task, handover_id: int) -> str:
    """One environment's owner change; a second run finds it done (the row is locked)."""
    try:
        return handover.handover_transfer(handover_id=handover_id)
    except Transient as exc:
        if (self.request.retries or 0) >= TRANSFER_RETRIES:
            handover.handover_transfer_failed(handover_id=handover_id, error=str(exc))
            return "failed"
        raise self.retry(exc=exc, countdown=provision_retry_delay(self.request.retries or 0)
                         ) from None


@shared_task(name="identity.tasks.handover_tags_follow", acks_late=True,
             reject_on_worker_lost=True)
def handover_tags_follow_task(handover_id: int, checks: int) -> str:
    """Follow a hand-over's tag record: check, and check again later until it has finished
    (a transient error is one more check; after FOLLOW_CHECKS the report keeps the last status)."""
    try:
        status = handover_tags.handover_tags_follow(handover_id=handover_id)
    except Transient:
        status = "IN_PROGRESS"
    if status not in ("SUCCEEDED", "FAILED") and checks + 1 < handover_tags.FOLLOW_CHECKS:
        task_enqueue_on_commit(handover_tags_follow_task, handover_id, checks + 1,
                               countdown=follow_delay(checks + 1))
    return status


@shared_task(name="identity.tasks.handover_terminate", acks_late=True,
             reject_on_worker_lost=True)
def handover_terminate_task(handover_id: int) -> str:
    return handover.handover_terminate(handover_id=handover_id, now=timezone.now())


@shared_task(name="identity.tasks.handovers_sweep", acks_late=True, reject_on_worker_lost=True)
def handovers_sweep_task() -> dict[str, Any]:
    """Beat: hand each termination that is due to its own task."""
    due = handover.handovers_due(now=timezone.now(), batch=settings.PORTAL_LEAVER_SWEEP_BATCH)
    for handover_id in due:
        task_enqueue_on_commit(handover_terminate_task, handover_id)
    return {"dispatched": len(due)}
