"""Leases run on provisioning's fixtures: the fake AWS (instant), the cast's notebook; the
auto-stop tests add a moving clock and a sweeper that runs its stop tasks in this process."""

import pytest

from tests.leases.autostop_support import Clock, Sweeper
from tests.provisioning.conftest import *  # noqa: F403  (fixtures: available, queued, …)
from tests.provisioning.conftest import _no_real_aws  # noqa: F401  (autouse: the fake AWS)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def sweeper(monkeypatch: pytest.MonkeyPatch, clock: Clock,
            django_capture_on_commit_callbacks: object) -> Sweeper:
    return Sweeper(monkeypatch, clock, django_capture_on_commit_callbacks)
