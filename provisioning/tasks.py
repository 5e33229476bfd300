"""Celery shells around the provisioning services: take ids, call one service, retry transients.

Every task acknowledges late and is rejected back to the queue when its worker dies, so a killed
worker's message is delivered again; the services make a second run harmless.
"""

from __future__ import annotations

import random
from typing import Any

from celery import Task

from portal.metrics import sweeper_actions_count
from portal.tasking import shared_bound_task, shared_task
from provisioning import follow, services, sweep
from provisioning.backends import Transient

RETRY_CAP_SECONDS = 300


def _retry_delay(retries: int) -> float:
    base: int = min(RETRY_CAP_SECONDS, 5 * 2 ** min(retries, 10))
    return base * random.uniform(1.0, 1.3)


@shared_bound_task(name="provisioning.tasks.environment_provision_task", acks_late=True,
                   reject_on_worker_lost=True, max_retries=None)
def environment_provision_task(self: Task, environment_id: str) -> str:
    """ProvisionProduct (or CreateProject) for a queued environment; throttling retries forever
    with capped backoff: the environment stays queued and nothing is lost."""
    try:
        return services.environment_provision_run(environment_id=environment_id)
    except Transient as exc:
        raise self.retry(exc=exc, countdown=_retry_delay(self.request.retries)) from None


@shared_task(name="provisioning.tasks.environment_follow_task", acks_late=True,
             reject_on_worker_lost=True)
def environment_follow_task(environment_id: str, attempt: int) -> str:
    """One DescribeRecord/DescribeProject/DescribeNotebookInstance check; the service enqueues
    the next one (with backoff) on commit instead of sleeping in the worker."""
    return follow.environment_follow_run(environment_id=environment_id, attempt=attempt).result


@shared_task(name="provisioning.tasks.environments_sweep", acks_late=True,
             reject_on_worker_lost=True)
def environments_sweep_task() -> dict[str, Any]:
    report = sweep.environments_sweep()
    sweeper_actions_count(sweep="provisioning", report=report)
    return report


@shared_task(name="provisioning.tasks.environments_reconcile", acks_late=True,
             reject_on_worker_lost=True)
def environments_reconcile_task() -> dict[str, Any]:
    report = sweep.environments_reconcile()
    sweeper_actions_count(sweep="reconcile", report=dict(report))
    return report
