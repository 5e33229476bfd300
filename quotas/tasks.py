"""Celery shell of the budget threshold sweep."""

from __future__ import annotations

from portal.tasking import shared_task
from quotas.notices import budget_notices_sweep


@shared_task(name="quotas.tasks.budget_notices_sweep", acks_late=True)
def budget_notices_sweep_task() -> int:
    return len(budget_notices_sweep().sent)
