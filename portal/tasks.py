from __future__ import annotations

import logging

from celery import Task
from django.conf import settings

from portal import notifications
from portal.services import saml_assertions_prune, sessions_clear_expired
from portal.tasking import shared_bound_task, shared_task
from portal.worker_health import worker_heartbeat_record

logger = logging.getLogger(__name__)


@shared_task(name="portal.tasks.saml_assertions_prune")
def saml_assertions_prune_task() -> int:
    return saml_assertions_prune()


@shared_task(name="portal.tasks.sessions_clear_expired")
def sessions_clear_expired_task() -> None:
    sessions_clear_expired()


@shared_bound_task(name="portal.tasks.email_send", acks_late=True, reject_on_worker_lost=True,
                   max_retries=None)
def email_send_task(self: Task, message: dict[str, str]) -> str:
    """Send one notification; retry what may pass later, record what never will (or did not)."""
    attempts = self.request.retries + 1
    try:
        notifications.email_deliver(message=message)
    except notifications.EmailRefused as exc:
        notifications.email_failed(message=message, attempts=attempts, error=str(exc))
        return "refused"
    except notifications.EmailTransient as exc:
        if self.request.retries >= settings.PORTAL_EMAIL_MAX_RETRIES:
            notifications.email_failed(message=message, attempts=attempts, error=str(exc))
            return "failed"
        logger.warning("The mail relay did not take a %s notification (attempt %d): %s; "
                       "retrying", message["kind"], attempts, exc)
        raise self.retry(exc=exc, countdown=notifications.email_retry_delay(
            self.request.retries)) from None
    logger.info("Sent a %s notification (attempt %d)", message["kind"], attempts)
    return "sent"
@shared_bound_task(name="portal.tasks.worker_heartbeat", ignore_result=True)
def worker_heartbeat_task(task: Task) -> None:
    """Beat sends this; the worker that runs it is alive and consuming (portal/worker_health)."""
    worker_heartbeat_record(worker=str(task.request.hostname or "unknown"))
