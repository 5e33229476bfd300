"""Celery shells of the lease sweep and of one lease's enforcement."""

from __future__ import annotations

from typing import Any

from leases import autostop, autostop_sweep, services, sweep
from portal.tasking import shared_task


@shared_task(name="leases.tasks.leases_sweep", acks_late=True, reject_on_worker_lost=True)
def leases_sweep_task() -> dict[str, Any]:
    report = sweep.leases_sweep()
    return {"opened": report.opened, "dispatched": len(report.dispatched)}


@shared_task(name="leases.tasks.lease_enforce", acks_late=True, reject_on_worker_lost=True)
def lease_enforce_task(environment_id: str) -> str:
    """One lease's due step; a second run finds it done (the lease row is locked)."""
    return services.lease_enforce(environment_id=environment_id)


@shared_task(name="leases.tasks.schedules_sweep", acks_late=True, reject_on_worker_lost=True)
def schedules_sweep_task() -> dict[str, int]:
    return autostop_sweep.schedules_sweep()


@shared_task(name="leases.tasks.autostop_stop", acks_late=True, reject_on_worker_lost=True)
def autostop_stop_task(environment_id: str, rule: str, label: str) -> str:
    """One auto-stop; a second run finds the notebook stopping (the row is locked)."""
    return autostop.autostop_stop(environment_id=environment_id, rule=rule, label=label)
