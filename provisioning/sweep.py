"""Periodic safety nets: the sweeper (lost work) and reconcile (changes made outside the portal,
in ``provisioning.reconcile``)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from approvals.models import Request
from provisioning.models import Environment
from provisioning.reconcile import environments_reconcile
from provisioning.services import (
    Status,
    environment_locked,
    environment_provision,
    follow_schedule,
    provision_dispatch,
)

__all__ = ["environments_reconcile", "environments_sweep"]

logger = logging.getLogger(__name__)


def environments_sweep() -> dict[str, int]:
    """Re-dispatch work lost to a broker outage or a killed worker.

    * approved create requests that never became an environment;
    * queued environments whose provision task (first try or scheduled retry) is overdue by
      PORTAL_STALLED_AFTER_SECONDS;
    * followed environments whose next check is overdue by as much (the follow-up chain broke).

    Overdue is measured from when the next step is due, not from when it was sent, so a long
    backoff is never taken for lost work.
    """
    now = timezone.now()
    stalled = now - timedelta(seconds=settings.PORTAL_STALLED_AFTER_SECONDS)
    report = {"created": 0, "redispatched": 0, "refollowed": 0}

    orphans = Request.objects.filter(
        status=Request.Status.APPROVED, action=Request.Action.CREATE,
        handed_off_at__isnull=False, provisioned_environment__isnull=True,
    )
    for request in orphans:
        environment_provision(request=request)
        report["created"] += 1

    # Due = when the provision task should run: at once after a dispatch, later when a throttled
    # call is retried (``next_attempt_at``; rows from before it existed have ``dispatched_at``).
    queued = Environment.objects.filter(status=Status.QUEUED).annotate(
        due=Coalesce("next_attempt_at", "dispatched_at"))
    queued = queued.filter(due__isnull=True) | queued.filter(due__lt=stalled)
    for pk in queued.values_list("pk", flat=True):
        with transaction.atomic():
            environment = environment_locked(pk)
            due = environment.next_attempt_at or environment.dispatched_at
            if environment.status == Status.QUEUED and (due is None or due < stalled):
                # A new chain number makes any survivor of the old chain stale.
                provision_dispatch(environment)
                report["redispatched"] += 1

    followed = Environment.objects.filter(status__in=Environment.FOLLOWED).filter(
        next_check_at__isnull=True) | Environment.objects.filter(
        status__in=Environment.FOLLOWED, next_check_at__lt=stalled)
    for pk in followed.values_list("pk", flat=True):
        with transaction.atomic():
            environment = environment_locked(pk)
            due = environment.next_check_at
            if environment.status in Environment.FOLLOWED and (due is None or due < stalled):
                # A new attempt number makes any survivor of the old chain stale. The check is
                # overdue already: it is sent for now, not after the first backoff step.
                follow_schedule(environment, attempt=environment.follow_attempt + 1, delay=0.0)
                report["refollowed"] += 1
    if any(report.values()):
        logger.info("Provisioning sweep: %s", report)
    return report
