from __future__ import annotations

from celery import Task

from portal.services import saml_assertions_prune, sessions_clear_expired
from portal.tasking import shared_bound_task, shared_task
from portal.worker_health import worker_heartbeat_record


@shared_task(name="portal.tasks.saml_assertions_prune")
def saml_assertions_prune_task() -> int:
    return saml_assertions_prune()


@shared_task(name="portal.tasks.sessions_clear_expired")
def sessions_clear_expired_task() -> None:
    sessions_clear_expired()


@shared_bound_task(name="portal.tasks.worker_heartbeat", ignore_result=True)
def worker_heartbeat_task(task: Task) -> None:
    """Beat sends this; the worker that runs it is alive and consuming (portal/worker_health)."""
    worker_heartbeat_record(worker=str(task.request.hostname or "unknown"))
