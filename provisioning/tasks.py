"""Celery shells around the provisioning services: take ids, call one service, retry transients.

Every task acknowledges late and is rejected back to the queue when its worker dies, so a killed
worker's message is delivered again; the services make a second run harmless.
"""

from __future__ import annotations

import random
from typing import Any

from celery import Task
from django.conf import settings

from portal.metrics import sweeper_actions_count
from portal.tasking import shared_bound_task, shared_task
from provisioning import actuals, change_plans, follow, provision_run, sweep
from provisioning.backends import Transient


def provision_retry_delay(retries: int) -> float:
    """Seconds before retry number ``retries + 1``: 5 s doubling to the cap, plus 0-30 % jitter
    (at most 1.3 x PORTAL_PROVISION_RETRY_MAX_SECONDS: the broker's visibility timeout is checked
    against that bound in the settings)."""
    cap = settings.PORTAL_PROVISION_RETRY_MAX_SECONDS
    base: float = min(cap, 5 * 2 ** min(retries, 20))
    return base * random.uniform(1.0, 1.3)


@shared_bound_task(name="provisioning.tasks.environment_provision_task", acks_late=True,
                   reject_on_worker_lost=True, max_retries=None)
def environment_provision_task(self: Task, environment_id: str, attempt: int | None = None
                               ) -> str:
    """ProvisionProduct (or CreateProject) for a queued environment; throttling retries forever
    with capped backoff: the environment stays queued and nothing is lost. The retry's time is
    recorded before the retry is sent, so the sweeper does not start a second chain."""
    countdown = provision_retry_delay(self.request.retries or 0)
    try:
        return provision_run.environment_provision_run(environment_id=environment_id,
                                                       attempt=attempt, retry_in=countdown)
    except Transient as exc:
        raise self.retry(exc=exc, countdown=countdown) from None


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


@shared_bound_task(name="provisioning.tasks.change_plan_task", acks_late=True,
                   reject_on_worker_lost=True, max_retries=None)
def change_plan_task(self: Task, plan_pk: int) -> str:
    """CreateProvisionedProductPlan once, then one DescribeProvisionedProductPlan check (the
    service enqueues the next one); throttling retries with capped backoff."""
    try:
        return change_plans.plan_step(plan_pk=plan_pk)
    except Transient as exc:
        raise self.retry(exc=exc, countdown=provision_retry_delay(self.request.retries or 0)
                         ) from None


@shared_bound_task(name="provisioning.tasks.change_plan_delete_task", acks_late=True,
                   reject_on_worker_lost=True, max_retries=10)
def change_plan_delete_task(self: Task, plan_pk: int) -> None:
    """DeleteProvisionedProductPlan for the plan of a rejected, cancelled or expired request."""
    try:
        change_plans.plan_delete_run(plan_pk=plan_pk)
    except Transient as exc:
        raise self.retry(exc=exc, countdown=provision_retry_delay(self.request.retries or 0)
                         ) from None


@shared_task(name="provisioning.tasks.cost_actuals_fetch", acks_late=True,
             reject_on_worker_lost=True)
def cost_actuals_fetch_task() -> dict[str, Any]:
    """Cost Explorer actuals, once per account per UTC day (a second run the same day skips)."""
    report = actuals.cost_actuals_fetch()
    return {"fetched": report.fetched, "skipped": report.skipped, "failed": report.failed,
            "calls": report.calls}
