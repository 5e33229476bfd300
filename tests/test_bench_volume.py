"""bench/volume.py seeds rows the portal accepts as its own: numbered, chained, consistent."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from approvals.models import ApprovalTask, Request, RequestNumber
from leases.models import Lease
from portal.audit_chain import chain_verify
from portal.management.commands.audit_verify import database_rows
from portal.models import AuditEvent, Membership, Project, User
from provisioning.models import Environment

pytestmark = pytest.mark.django_db


def _volume() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "bench" / "volume.py"
    spec = importlib.util.spec_from_file_location("bench_volume", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_a_small_volume_is_seeded_numbered_and_chained_after_what_was_there() -> None:
    volume = _volume()
    AuditEvent.objects.create(action="before.seed", actor_username="someone")
    before = Request.objects.count()
    said: list[str] = []

    counts = volume.seed(volume.Volume(users=60, projects=6, accounts=3, products=6,
                                       requests=400, environments=120, audit_events=2_500),
                         say=said.append)

    assert counts == {"users": 60, "projects": 6, "product_versions": 6, "requests": 400,
                      "environments": 120, "audit_events": 2_500}
    assert User.objects.count() == 60 and Project.objects.count() == 6
    assert set(Project.objects.values_list("aws_account_id", flat=True)) == {
        "100000000000", "100000000001", "100000000002"}
    assert Request.objects.count() == before + 400
    numbers = sorted(Request.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 400 and numbers[-1] == RequestNumber.objects.get().last
    assert RequestNumber.next_number() == numbers[-1] + 1  # the portal goes on from there
    # Creation times are spread over a year, not all "now".
    created = Request.objects.values_list("created_at", flat=True)
    assert (max(created) - min(created)).days > 200
    assert Environment.objects.count() == 120
    assert {e.origin_request.project_id for e in Environment.objects.select_related(
        "origin_request")} == set(Project.objects.values_list("pk", flat=True))
    assert Lease.objects.count() == Environment.objects.filter(
        status__in=["available", "stopped"]).count() > 0
    # Every waiting request has a task for the requester's manager, never the requester.
    for task in ApprovalTask.objects.filter(status="pending").select_related("request"):
        approvers = list(task.eligible_approvers.values_list("pk", flat=True))
        assert approvers == [task.request.requester.manager_id]
    assert Membership.objects.filter(role="lead").exists()
    # The audit trail: 2,501 events in one intact chain, the seeded ones after the first.
    report = chain_verify(database_rows())
    assert report.problem is None and report.rows == 2_501 and report.starts_at_genesis
    assert AuditEvent.objects.order_by("id").first().action == "before.seed"  # type: ignore[union-attr]
    # The next event the portal writes links to the seeded head.
    AuditEvent.objects.create(action="after.seed", actor_username="someone")
    assert chain_verify(database_rows()).problem is None
    assert any("hash-chained" in line for line in said)


def test_a_volume_that_cannot_hold_together_is_refused_before_any_row() -> None:
    volume = _volume()
    with pytest.raises(ValueError, match="requests >= environments"):
        volume.seed(volume.Volume(requests=10, environments=20), say=lambda line: None)
    with pytest.raises(ValueError, match="one project per account"):
        volume.seed(volume.Volume(projects=2, accounts=5), say=lambda line: None)
    assert not User.objects.exists()
