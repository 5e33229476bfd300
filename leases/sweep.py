"""The lease sweep (beat, every ``PORTAL_LEASE_SWEEP_SECONDS``): hand due leases to the workers.

A bounded batch (``PORTAL_LEASE_SWEEP_BATCH``) in a constant number of queries whatever its
size: one indexed read of the leases due (``due_at <= now``), one update pushing their
``due_at`` a stall period ahead (so the next sweep does not send them again while their task
waits in the queue; the task sets the real next time), and one ``lease_enforce_task`` per lease
sent on commit. Live environments without a lease (from before leases existed) get one, also
in constant queries per batch. The work itself (warn, stop, terminate) is ``lease_enforce``'s,
one lease per task, each under its own row lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.leases import lease_terms_reading
from leases.models import Lease
from leases.services import DAY, LEASE_ACTOR, lease_next_due
from portal.services import audit_record
from portal.tasking import task_enqueue_on_commit
from provisioning.models import Environment, EnvironmentEvent


@dataclass(frozen=True)
class SweepReport:
    opened: int
    dispatched: list[str]


def leases_open_missing(*, now: datetime, batch: int) -> int:
    """Give live environments without a lease one (the terms' default, counted from now)."""
    environments = list(
        Environment.objects.filter(lease__isnull=True)
        .exclude(status=Environment.Status.TERMINATED)
        .select_related("product", "project").order_by("created_at")[:batch])
    if not environments:
        return 0
    leases, events = [], []
    # One computation of terms for the batch: the caps read what they need once (the
    # guardrails' version in force), whatever the number of products and projects.
    terms_of = lease_terms_reading()
    for environment in environments:
        terms = terms_of(product=environment.product, project=environment.project)
        environment.expires_at = environment.expires_at or now + terms.default_days * DAY
        lease = Lease(environment=environment)
        lease.due_at = lease_next_due(lease, end=environment.expires_at,
                                      grace=terms.grace_days, now=now)
        leases.append(lease)
        events.append(EnvironmentEvent(
            environment=environment, kind=EnvironmentEvent.Kind.LEASE, at=now,
            message=f"Lease opened: it ends {environment.expires_at:%Y-%m-%d %H:%M}."))
    with transaction.atomic():
        Environment.objects.bulk_update(environments, ["expires_at"])
        Lease.objects.bulk_create(leases, ignore_conflicts=True)
        EnvironmentEvent.objects.bulk_create(events)
        # One audit event for the batch, naming every environment (the chain forbids bulk).
        audit_record(action="lease.opened_missing", actor_username=LEASE_ACTOR,
                     data={"environments": [str(e.pk) for e in environments]})
    return len(environments)


def leases_sweep(*, now: datetime | None = None, batch: int | None = None) -> SweepReport:
    """One sweep: open missing leases, then send the due ones to ``lease_enforce_task``."""
    from leases.tasks import lease_enforce_task

    now = now or timezone.now()
    batch = batch or settings.PORTAL_LEASE_SWEEP_BATCH
    opened = leases_open_missing(now=now, batch=batch)
    with transaction.atomic():
        due = [str(pk) for pk in Lease.objects.filter(due_at__lte=now, paused=False)
               .order_by("due_at").values_list("pk", flat=True)[:batch]]
        if due:
            stall = timedelta(seconds=max(settings.PORTAL_STALLED_AFTER_SECONDS,
                                          settings.PORTAL_LEASE_SWEEP_SECONDS))
            Lease.objects.filter(pk__in=due).update(due_at=now + stall)
            for environment_id in due:
                task_enqueue_on_commit(lease_enforce_task, environment_id)
    return SweepReport(opened=opened, dispatched=due)
