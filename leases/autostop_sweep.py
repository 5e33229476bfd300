"""The auto-stop sweep (beat, every ``PORTAL_AUTOSTOP_SWEEP_SECONDS``).

A bounded batch (``PORTAL_AUTOSTOP_SWEEP_BATCH``) in a constant number of queries whatever its
size: one read of the available notebooks without an auto-stop row and one insert giving them
one (looked at at once); one indexed read of the rows due (``due_at <= now``) of *available
notebooks* (with their environment and owner); one read of the batch's policies; one update
writing every row's next ``due_at``; one ``autostop_stop_task`` per stop, sent on commit. The
stop itself is ``autostop_stop``'s, one environment per task under its own row lock.

Only available notebook instances are looked at: Studio user profiles and SageMaker projects
have nothing to stop, and a stopped notebook has nothing to do until it runs again. A row
stays due while its notebook is stopped, so it is looked at as soon as the notebook is
available again (the idle deadline then counts from that start if it went through the
portal; a schedule occurrence older than ``CATCH_UP`` is skipped).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from leases.autostop import autostop_decide
from leases.models import AutoStop, StopPolicy
from leases.schedules import policies_for
from portal.tasking import task_enqueue_on_commit
from provisioning.models import Environment

AVAILABLE = Environment.Status.AVAILABLE


def autostop_open_missing(*, now: datetime, batch: int) -> int:
    """Give available notebooks without an auto-stop row one, due now (two queries)."""
    missing = list(Environment.objects.filter(autostop__isnull=True, status=AVAILABLE)
                   .exclude(notebook_instance_name="")
                   .order_by("created_at").values_list("pk", flat=True)[:batch])
    if missing:
        AutoStop.objects.bulk_create([AutoStop(environment_id=pk, due_at=now) for pk in missing],
                                     ignore_conflicts=True)
    return len(missing)


def schedules_sweep(*, batch_size: int | None = None,
                    now: datetime | None = None) -> dict[str, int]:
    """One sweep: rows for new notebooks, then the due ones decided and their stops sent.

    Returns counts: ``opened`` (rows made), ``looked_at`` (due rows read), ``stopping``
    (stop tasks sent), ``schedule`` / ``idle`` (of which by a schedule / the idle rule)."""
    from leases.tasks import autostop_stop_task

    now = now or timezone.now()
    batch = batch_size or settings.PORTAL_AUTOSTOP_SWEEP_BATCH
    opened = autostop_open_missing(now=now, batch=batch)
    counts = {"opened": opened, "looked_at": 0, "stopping": 0, "schedule": 0, "idle": 0}
    # A stop sent is not looked at again before its task has had time to run.
    stall = timedelta(seconds=max(settings.PORTAL_STALLED_AFTER_SECONDS,
                                  settings.PORTAL_AUTOSTOP_SWEEP_SECONDS))
    with transaction.atomic():
        # skip_locked: a second sweep running at once takes other rows (PostgreSQL; SQLite
        # runs one writer at a time anyway).
        states = list(
            AutoStop.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(due_at__lte=now, environment__status=AVAILABLE)
            .exclude(environment__notebook_instance_name="")
            .select_related("environment__owner").order_by("due_at")[:batch])
        if not states:
            return counts
        policies = policies_for([s.environment for s in states])
        stops: list[tuple[str, str, str]] = []
        for state in states:
            decision = autostop_decide(state=state, environment=state.environment,
                                       rules=policies.rules(state.environment), now=now)
            state.due_at = decision.due_at
            if decision.rule:
                state.due_at = now + stall
                if decision.occurrence is not None:
                    state.schedule_fired_at = decision.occurrence
                stops.append((str(state.pk), decision.rule, decision.label))
                counts[decision.rule] += 1
        AutoStop.objects.bulk_update(states, ["due_at", "schedule_fired_at"])
        for environment_id, rule, label in stops:
            task_enqueue_on_commit(autostop_stop_task, environment_id, rule, label)
    counts.update(looked_at=len(states), stopping=len(stops))
    return counts


def autostop_policy_changed(policy: StopPolicy, *, now: datetime | None = None) -> int:
    """A policy was created, changed or deleted: every environment it covers is looked at by
    the next sweep (one update), which recomputes its next stop."""
    covered = Q(environment__project_id=policy.project_id) if policy.project_id \
        else Q(environment__product_id=policy.product_id)
    return AutoStop.objects.filter(covered).update(due_at=now or timezone.now())

