"""A worker holding the follow-ups of 15 provisioning environments dies (SIGKILL); with the
default sweep settings every one of them is checked again within 2 minutes of the death.

The test runs the defaults at half length (sweep every 15 s, stalled after 30 s, checks 2 s
doubling to 30 s): the bound it checks, stalled + 2 × sweep, is the same formula (120 s with the
defaults, 60 s here); the README's figures were measured at the defaults.

Real parts: two Celery worker processes on the real broker (filesystem by default, Redis when
CELERY_BROKER_URL says so), the fake AWS, and the sweeper called every PORTAL_SWEEPER_SECONDS as
beat calls it. The follow-up messages the dead worker had taken (countdowns not yet due) are gone
from the filesystem broker, and sit in Redis's ``unacked`` until the visibility timeout (10 min):
what brings them back in time is the sweeper.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from portal.models import Project, User
from provisioning.models import Environment
from provisioning.services import environment_provision
from provisioning.sweep import environments_sweep
from tests.provisioning.conftest import approved_request, make_notebook_product
from tests.provisioning.worker import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)

ENVIRONMENTS = 15
# The portal's defaults (sweep 30 s, stalled after 60 s, follow 5 s doubling to 60 s) divided by
# SCALE; AWS operations last long enough for the environments to stay provisioning throughout.
SCALE = 2
SWEEP_SECONDS, STALLED_SECONDS = 30 // SCALE, 60 // SCALE
SLOW_AWS = {"FAKEAWS_OPERATION_SECONDS": "3600",
            "PORTAL_FOLLOW_FIRST_SECONDS": str(5 // SCALE),
            "PORTAL_FOLLOW_MAX_SECONDS": str(60 // SCALE),
            "PORTAL_SWEEPER_SECONDS": str(SWEEP_SECONDS),
            "PORTAL_STALLED_AFTER_SECONDS": str(STALLED_SECONDS)}


@pytest.fixture
def workers(real_broker: None) -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.stop()


def approve_many(scientist: User, project: Project) -> list[Any]:
    product, version = make_notebook_product(project)
    ids = []
    for _ in range(ENVIRONMENTS):
        request = approved_request(requester=scientist, project=project, product=product,
                                   version=version)
        with transaction.atomic():
            environment = environment_provision(request=request)
        assert environment is not None
        ids.append(environment.pk)
    return ids


def wait(condition: Any, *, seconds: float, worker: WorkerProcess, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out waiting for {what}:\n{worker.output()}")
        time.sleep(0.2)


def test_follow_ups_held_by_a_killed_worker_are_checked_again_within_two_minutes(
        scientist: User, project: Project, workers: list[WorkerProcess],
        settings: Any) -> None:
    assert (settings.PORTAL_SWEEPER_SECONDS, settings.PORTAL_STALLED_AFTER_SECONDS) == (30, 60)
    settings.PORTAL_SWEEPER_SECONDS = SWEEP_SECONDS
    settings.PORTAL_STALLED_AFTER_SECONDS = STALLED_SECONDS
    bound = STALLED_SECONDS + 2 * SWEEP_SECONDS  # 120 s with the defaults
    first = WorkerProcess(extra_env=SLOW_AWS)
    workers.append(first)
    first.start(purge=True)
    ids = approve_many(scientist, project)
    followed = Environment.objects.filter(pk__in=ids, status=Environment.Status.PROVISIONING)
    # Every environment had its first check; its next one is waiting in the worker (countdown).
    wait(lambda: followed.filter(follow_checks__gte=1).count() == ENVIRONMENTS, seconds=120,
         worker=first, what="every environment to be followed")
    first.kill()
    killed_at = timezone.now()
    before = {e.pk: (e.follow_checks, e.next_check_at, e.follow_attempt) for e in followed}

    second = WorkerProcess(extra_env=SLOW_AWS)
    workers.append(second)
    second.start()
    recovered: dict[Any, datetime] = {}
    next_sweep = time.monotonic()  # beat's phase is arbitrary: a sweep right at the death
    deadline = time.monotonic() + 1.5 * bound
    while len(recovered) < ENVIRONMENTS and time.monotonic() < deadline:
        if time.monotonic() >= next_sweep:
            environments_sweep()
            next_sweep += settings.PORTAL_SWEEPER_SECONDS
        for pk, checks in followed.values_list("pk", "follow_checks"):
            if pk not in recovered and checks > before[pk][0]:
                recovered[pk] = timezone.now()
        time.sleep(0.2)
    assert len(recovered) == ENVIRONMENTS, second.output()

    since_death = max((at - killed_at).total_seconds() for at in recovered.values())
    since_due = max((at - before[pk][1]).total_seconds() for pk, at in recovered.items())
    print(f"\nrecovery of {ENVIRONMENTS} follow-ups after SIGKILL: last one checked "
          f"{since_death:.1f} s after the death, at most {since_due:.1f} s after it was due")
    assert since_death < bound
    # Each chain goes on from the new worker: the next check is scheduled, after the death.
    for environment in followed.all():  # a fresh read (the queryset cached the first one)
        assert environment.next_check_at is not None and environment.next_check_at > killed_at
        assert environment.follow_attempt > before[environment.pk][2]
