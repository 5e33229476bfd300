"""The Celery shells: late acknowledgement, requeue on worker loss, periodic entries."""

from __future__ import annotations

from typing import Any

import pytest

from config.schedules import beat_schedule
from provisioning import tasks


@pytest.mark.parametrize("task", [tasks.environment_provision_task, tasks.environment_follow_task,
                                  tasks.environments_sweep_task,
                                  tasks.environments_reconcile_task])
def test_every_task_acknowledges_late_and_is_requeued_when_its_worker_dies(task: Any) -> None:
    assert task.acks_late is True and task.reject_on_worker_lost is True


def test_sweep_and_reconcile_are_scheduled(settings: Any) -> None:
    schedule = beat_schedule()
    assert schedule["provisioning-sweep"]["task"] == tasks.environments_sweep_task.name
    assert schedule["provisioning-reconcile"]["task"] == tasks.environments_reconcile_task.name
    settings.PORTAL_RECONCILE_SECONDS = 0
    assert "provisioning-reconcile" not in beat_schedule()
