"""Five minutes of ProvisionProduct throttling on the fake AWS, with the sweeper running: one
retry chain per environment, counted in the fake's call log.

Time is simulated: Django's clock (which the services, the sweeper and the fake AWS all read)
moves from event to event; the provision task's countdowns, the follow-ups it sends and the
sweeper's period are events in one queue, run in this process through the real task body.
"""

from __future__ import annotations

import heapq
import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from fakeaws import faults
from fakeaws.models import CallLog
from provisioning import tasks
from provisioning.models import Environment
from provisioning.sweep import environments_sweep
from tests.provisioning.conftest import SentTasks

pytestmark = pytest.mark.django_db

THROTTLED_SECONDS = 300


class Simulation:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, sent: SentTasks,
                 capture: Any) -> None:
        self.start: datetime = timezone.now()
        self.t = 0.0
        self.sent = sent
        self.capture = capture
        self.queue: list[tuple[float, int, str, tuple[Any, ...], int]] = []
        self.order = itertools.count()
        self.chains: set[int] = set()
        monkeypatch.setattr(timezone, "now", lambda: self.start + timedelta(seconds=self.t))
        monkeypatch.setattr(tasks.environment_provision_task, "retry", self._retry)
        self._retrying: tuple[tuple[Any, ...], int] | None = None

    def at(self, t: float, kind: str, args: tuple[Any, ...] = (), retries: int = 0) -> None:
        heapq.heappush(self.queue, (t, next(self.order), kind, args, retries))

    def _retry(self, *, exc: Exception, countdown: float) -> Retry:
        assert self._retrying is not None
        args, retries = self._retrying
        self.at(self.t + countdown, "provision", args, retries + 1)
        return Retry(exc=exc)

    def _take_sent(self) -> None:
        for name, args, countdown in self.sent.calls:
            if name == tasks.environment_provision_task.name:
                self.at(self.t + (countdown or 0), "provision", args)
        self.sent.calls.clear()  # follow-ups are not what this test counts

    def run(self, *, until: float, sweep_every: int) -> None:
        for tick in range(0, int(until) + 1, sweep_every):
            self.at(float(tick) + 0.5, "sweep")
        while self.queue and self.queue[0][0] <= until:
            self.t, _, kind, args, retries = heapq.heappop(self.queue)
            if self.t >= THROTTLED_SECONDS:
                faults.clear()  # AWS stops throttling
            with self.capture(execute=True):
                if kind == "sweep":
                    environments_sweep()
                else:
                    self.chains.add(args[1])
                    self._retrying = (args, retries)
                    tasks.environment_provision_task.push_request(retries=retries)
                    try:
                        tasks.environment_provision_task.run(*args)
                    except Retry:
                        pass
                    finally:
                        tasks.environment_provision_task.pop_request()
            self._take_sent()


@pytest.mark.parametrize(("sweep_every", "stalled_after"), [(30, 60), (120, 300)],
                         ids=["defaults", "former-defaults"])
def test_five_minutes_of_throttling_make_one_retry_chain_per_environment(
        queued: Environment, sent_tasks: SentTasks, settings: Any,
        monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any,
        sweep_every: int, stalled_after: int) -> None:
    settings.PORTAL_SWEEPER_SECONDS = sweep_every
    settings.PORTAL_STALLED_AFTER_SECONDS = stalled_after
    settings.PORTAL_AWS_MAX_ATTEMPTS = 0  # one call per task run (botocore retries not counted)
    faults.inject(service="servicecatalog", operation="ProvisionProduct",
                  code="ThrottlingException", times=1000)
    simulation = Simulation(monkeypatch, sent_tasks, django_capture_on_commit_callbacks)
    simulation.at(0.0, "provision", (str(queued.pk), queued.dispatch_attempt))
    simulation.run(until=900, sweep_every=sweep_every)

    environment = Environment.objects.get(pk=queued.pk)
    assert environment.status == Environment.Status.PROVISIONING
    calls = CallLog.objects.filter(operation="ProvisionProduct")
    # Backoff 5, 10, 20, 40, 80, 160 s (+0-30 %): six throttled calls within the five minutes,
    # and the seventh (due at 315 s or later) goes through. Two chains would make 11-12.
    assert calls.filter(error_code="ThrottlingException").count() == 6
    assert calls.exclude(error_code="ThrottlingException").count() == 1
    assert environment.dispatch_attempt == 1 and simulation.chains == {1}
    assert environment.events.filter(kind="retry").count() == 6
