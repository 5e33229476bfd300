"""Helpers of the auto-stop tests: notebook rows, a policy, a moving clock, one sweep with its
stop tasks run in this process at the sweep's time."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import pytest
from django.utils import timezone

from leases import tasks
from leases.autostop import autostop_stop
from leases.autostop_sweep import schedules_sweep
from leases.models import StopPolicy
from provisioning.models import Environment
from tests.provisioning.conftest import approved_request


def notebooks(count: int, *, owner: Any, project: Any, notebook: Any, at: datetime,
              status: str = "available", **fields: Any) -> list[Environment]:
    """``count`` notebook environments (rows only), available since ``at``."""
    product, version = notebook
    made = []
    for i in range(count):
        request = approved_request(requester=owner, project=project, product=product,
                                   version=version)
        made.append(Environment.objects.create(
            origin_request=request, owner=owner, project=project, product=product,
            version=version, provisioned_product_name=f"nb-{i}-{request.pk.hex[:6]}",
            notebook_instance_name=f"nb-{i}-{request.pk.hex[:6]}", status=status,
            available_at=at, **fields))
    Environment.objects.filter(pk__in=[e.pk for e in made]).update(created_at=at)
    return made


def policy(*, project: Any = None, product: Any = None, weekdays: str = "01234",
           stop_at: time | None = time(20, 0), idle_hours: int | None = None,
           owners_may_opt_out: bool = False) -> StopPolicy:
    return StopPolicy.objects.create(project=project, product=product,
                                     weekdays=weekdays if stop_at else "", stop_at=stop_at,
                                     idle_hours=idle_hours,
                                     owners_may_opt_out=owners_may_opt_out)


class Clock:
    """``timezone.now()`` as the test sets it (auto_now fields and services follow)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, when: datetime) -> datetime:
        self.now = when
        return when


class Sweeper:
    """Runs a sweep at the clock's time; the stop tasks it sends run right after, same time."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, clock: Clock,
                 capture: Any) -> None:
        self.clock, self.capture = clock, capture
        self.sent: list[tuple[str, str, str]] = []
        self.outcomes: list[str] = []
        monkeypatch.setattr(tasks.autostop_stop_task, "apply_async",
                            lambda args=(), **kw: self.sent.append(tuple(args)))

    def sweep(self, at: datetime, *, batch_size: int = 50) -> dict[str, int]:
        self.clock.set(at)
        before = len(self.sent)
        with self.capture(execute=True):
            report = schedules_sweep(batch_size=batch_size)
        for environment_id, rule, label in self.sent[before:]:
            self.outcomes.append(autostop_stop(environment_id=environment_id, rule=rule,
                                               label=label))
        return report
