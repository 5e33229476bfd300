"""The lease sweep: bounded batches in a constant number of queries, due leases only, each sent
once until its task has run; environments from before leases get one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from leases import tasks
from leases.models import Lease
from leases.sweep import leases_sweep
from portal.models import AuditEvent
from provisioning.models import Environment, EnvironmentEvent
from tests.provisioning.conftest import approved_request

pytestmark = pytest.mark.django_db


def environments(count: int, *, scientist: Any, project: Any, notebook: Any,
                 lease: bool = True) -> list[Environment]:
    """``count`` available environments (rows only) whose lease ended an hour ago."""
    product, version = notebook
    now = timezone.now()
    made = []
    for i in range(count):
        request = approved_request(requester=scientist, project=project, product=product,
                                   version=version)
        environment = Environment.objects.create(
            origin_request=request, owner=scientist, project=project, product=product,
            version=version, provisioned_product_name=f"bulk-{i}-{request.pk.hex[:6]}",
            status="available", expires_at=now - timedelta(hours=1) if lease else None)
        if lease:
            Lease.objects.create(environment=environment, due_at=now - timedelta(hours=1))
        made.append(environment)
    return made


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    monkeypatch.setattr(tasks.lease_enforce_task, "apply_async",
                        lambda args=(), **kw: calls.append(args[0]))
    return calls


@pytest.mark.parametrize("count", [2, 20])  # the query count is the same for both
def test_a_batch_costs_the_same_queries_whatever_its_size(
        count: int, scientist: Any, project: Any, notebook: Any, sent: list[str],
        django_assert_num_queries: Any, django_capture_on_commit_callbacks: Any) -> None:
    environments(count, scientist=scientist, project=project, notebook=notebook)
    # The missing-lease read, the due read, the update, and the transaction's savepoint and
    # release: the same five for 2 leases as for 20.
    with django_assert_num_queries(5), django_capture_on_commit_callbacks(execute=True):
        report = leases_sweep(batch=50)
    assert len(report.dispatched) == count and len(sent) == count


def test_a_batch_is_bounded_and_a_sent_lease_is_not_sent_again_before_its_task_ran(
        scientist: Any, project: Any, notebook: Any, sent: list[str],
        django_capture_on_commit_callbacks: Any) -> None:
    environments(5, scientist=scientist, project=project, notebook=notebook)
    with django_capture_on_commit_callbacks(execute=True):
        first = leases_sweep(batch=3).dispatched
        second = leases_sweep(batch=3).dispatched
        third = leases_sweep(batch=3).dispatched
    assert len(first) == 3 and len(second) == 2 and third == []
    assert set(first) | set(second) == {str(e.pk) for e in Environment.objects.all()}
    assert sent == first + second


@pytest.mark.parametrize("count", [4, 12])
def test_live_environments_without_a_lease_get_the_default_one(
        count: int, scientist: Any, project: Any, notebook: Any, sent: list[str], settings: Any,
        django_assert_max_num_queries: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.PORTAL_LEASE_DEFAULT_DAYS = 10
    made = environments(count, scientist=scientist, project=project, notebook=notebook,
                        lease=False)
    Environment.objects.filter(pk=made[0].pk).update(status="terminated")
    with django_assert_max_num_queries(16), django_capture_on_commit_callbacks(execute=True):
        report = leases_sweep(batch=50)
    assert report.opened == count - 1 and report.dispatched == []
    now = timezone.now()
    for environment in Environment.objects.exclude(pk=made[0].pk):
        assert environment.expires_at is not None
        assert abs(environment.expires_at - (now + timedelta(days=10))) < timedelta(minutes=1)
    assert not Lease.objects.filter(pk=made[0].pk).exists()
    assert EnvironmentEvent.objects.filter(kind="lease").count() == count - 1
    opened = AuditEvent.objects.get(action="lease.opened_missing").data["environments"]
    assert len(opened) == count - 1


def test_beat_runs_the_sweep(settings: Any) -> None:
    from config.schedules import beat_schedule

    assert beat_schedule()["leases-sweep"]["task"] == tasks.leases_sweep_task.name
    settings.PORTAL_LEASE_SWEEP_SECONDS = 0
    assert "leases-sweep" not in beat_schedule()
