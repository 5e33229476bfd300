"""Leases with a moving clock: warnings once (7 d, 1 d), stop at the end, terminate after the
grace period, an extension approved in time, paused enforcement (issue 14)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from approvals.models import ApprovalPolicy, ApprovalRule, Request
from approvals.services import request_create
from leases.models import Lease
from leases.services import LeaseError, lease_enforce, lease_pause, lease_resume
from leases.sweep import leases_sweep
from portal.models import AuditEvent, Notification, User
from provisioning.models import Environment
from tests.provisioning.conftest import run_until_settled

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _terms(settings: Any, project: Any) -> None:
    settings.PORTAL_LEASE_WARN_DAYS = (7, 1)
    project.lease_grace_days = 3
    project.save(update_fields=["lease_grace_days"])


def end_of(environment: Environment) -> datetime:
    environment.refresh_from_db()
    assert environment.expires_at is not None
    return environment.expires_at


def sweep_and_enforce(at: datetime, capture: Any) -> list[str]:
    """What beat and the workers do at ``at``: the sweep, then each task it sent."""
    with capture(execute=True):
        report = leases_sweep(now=at)
        return [lease_enforce(environment_id=pk, now=at) for pk in report.dispatched]


def lease_mails() -> list[str]:
    return [m.subject for m in mail.outbox if "Lease" in m.subject or "lease" in m.subject]


def test_a_new_environment_gets_the_default_lease_and_it_is_on_the_timeline(
        available: Environment) -> None:
    end = end_of(available)
    assert abs((end - available.created_at) - 30 * DAY) < timedelta(minutes=1)
    lease = Lease.objects.get(pk=available.pk)
    assert lease.due_at == end - 7 * DAY
    assert available.events.filter(kind="lease", message__startswith="Lease of 30 days").exists()
    assert AuditEvent.objects.filter(action="lease.opened", actor_username="lease").exists()


def test_warnings_are_sent_once_each_seven_days_and_one_day_before_the_end(
        available: Environment, django_capture_on_commit_callbacks: Any) -> None:
    end = end_of(available)
    capture = django_capture_on_commit_callbacks
    mail.outbox.clear()
    assert sweep_and_enforce(end - 8 * DAY, capture) == []
    assert sweep_and_enforce(end - 7 * DAY + timedelta(hours=1), capture) == ["warned"]
    # The next sweeps find nothing due until the one-day warning, and send nothing twice.
    assert sweep_and_enforce(end - 6 * DAY, capture) == []
    assert lease_enforce(environment_id=available.pk, now=end - 5 * DAY) == "nothing"
    assert sweep_and_enforce(end - DAY + timedelta(minutes=1), capture) == ["warned"]
    assert sweep_and_enforce(end - timedelta(hours=2), capture) == []
    ends = f"{timezone.localtime(end):%Y-%m-%d %H:%M %Z}"
    assert lease_mails() == [f"[ML portal] Lease ends {ends}: {available}"] * 2
    assert "in 6 days" in mail.outbox[0].body and "less than a day" in mail.outbox[1].body
    assert "Request an extension: http://testserver/leases/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="lease.warned").count() == 2
    # The same two notices in the portal, for the owner, linking to the lease page.
    notices = Notification.objects.filter(recipient=available.owner, kind="lease")
    assert [(n.text, n.link) for n in notices] == [
        (f"Lease ends {ends}: {available}", f"/leases/{available.pk}/")] * 2
    available.refresh_from_db()
    assert available.status == "available"


def test_a_late_first_sweep_sends_only_the_nearest_warning(
        available: Environment, django_capture_on_commit_callbacks: Any) -> None:
    end = end_of(available)
    mail.outbox.clear()
    assert sweep_and_enforce(end - timedelta(hours=12), django_capture_on_commit_callbacks) \
        == ["warned"]
    assert len(lease_mails()) == 1 and "less than a day" in mail.outbox[0].body
    assert Lease.objects.get(pk=available.pk).warned_days == 1


def test_the_notebook_is_stopped_at_the_end_by_the_lease_not_the_owner(
        available: Environment, scientist: User,
        django_capture_on_commit_callbacks: Any) -> None:
    end = end_of(available)
    mail.outbox.clear()
    assert sweep_and_enforce(end + timedelta(minutes=1), django_capture_on_commit_callbacks) \
        == ["stopped"]
    environment = run_until_settled(available)
    assert environment.status == "stopped"
    stop = AuditEvent.objects.get(action="environment.stop", object_id=str(available.pk))
    assert stop.actor is None and stop.actor_username == "lease"
    assert not AuditEvent.objects.filter(action="environment.stop", actor=scientist).exists()
    assert lease_mails() == [f"[ML portal] Lease ended: {available}"]
    assert "terminated" in mail.outbox[0].body
    kinds = list(environment.events.values_list("kind", flat=True))
    assert kinds[-3:] == ["stop", "lease", "stopped"]


def test_it_is_terminated_after_the_grace_period_unless_extended(
        available: Environment, django_capture_on_commit_callbacks: Any) -> None:
    end = end_of(available)
    capture = django_capture_on_commit_callbacks
    assert sweep_and_enforce(end + timedelta(minutes=1), capture) == ["stopped"]
    run_until_settled(available)
    assert sweep_and_enforce(end + 2 * DAY, capture) == []  # grace: 3 days (the project's)
    assert lease_enforce(environment_id=available.pk, now=end + 2 * DAY) == "nothing"
    assert sweep_and_enforce(end + 3 * DAY + timedelta(minutes=1), capture) == ["terminated"]
    environment = run_until_settled(available)
    assert environment.status == "terminated"
    event = AuditEvent.objects.get(action="environment.terminate", object_id=str(available.pk))
    assert event.actor is None and event.actor_username == "lease"
    assert Lease.objects.get(pk=available.pk).due_at is None
    assert sweep_and_enforce(end + 30 * DAY, capture) == []


def extension_policy(*, auto_up_to: int) -> None:
    policy = ApprovalPolicy.objects.create(name="Leases")
    ApprovalRule.objects.create(policy=policy, name="Short extensions", actions=["extend"],
                                lease_days_at_most=auto_up_to, auto_approve=True)


def test_an_extension_approved_in_time_means_no_stop(
        available: Environment, scientist: User, django_capture_on_commit_callbacks: Any) -> None:
    extension_policy(auto_up_to=7)
    end = end_of(available)
    capture = django_capture_on_commit_callbacks
    assert sweep_and_enforce(end - DAY + timedelta(minutes=1), capture) == ["warned"]
    with capture(execute=True):
        request = request_create(
            requester=scientist, project_slug="fraud", product_id=available.product_id,
            parameters={}, justification="Still training", action="extend",
            environment_ref=str(available.pk), lease_days=7)
    request.refresh_from_db()
    assert request.status == Request.Status.APPROVED and request.handed_off_at is not None
    assert end_of(available) == end + 7 * DAY
    lease = Lease.objects.get(pk=available.pk)
    assert lease.warned_days is None and lease.extensions == 1
    assert lease.due_at == end  # the new end's 7-day warning
    assert AuditEvent.objects.filter(action="lease.extended", actor=scientist).exists()
    # At the old end: no stop, only the new end's first warning.
    assert sweep_and_enforce(end + timedelta(minutes=1), capture) == ["warned"]
    available.refresh_from_db()
    assert available.status == "available"
    # The new end is enforced as the first one was.
    assert sweep_and_enforce(end + 7 * DAY + timedelta(minutes=1), capture) == ["stopped"]


def test_a_long_extension_waits_for_an_approver(
        available: Environment, scientist: User, django_capture_on_commit_callbacks: Any) -> None:
    extension_policy(auto_up_to=7)
    end = end_of(available)
    with django_capture_on_commit_callbacks(execute=True):
        request = request_create(
            requester=scientist, project_slug="fraud", product_id=available.product_id,
            parameters={}, justification="A long study", action="extend",
            environment_ref=str(available.pk), lease_days=20)
    assert request.status == Request.Status.PENDING
    assert end_of(available) == end


def test_an_extension_after_the_end_saves_it_from_termination(
        available: Environment, scientist: User, django_capture_on_commit_callbacks: Any) -> None:
    extension_policy(auto_up_to=7)
    now = timezone.now()
    Environment.objects.filter(pk=available.pk).update(expires_at=now - timedelta(hours=1))
    capture = django_capture_on_commit_callbacks
    assert lease_enforce(environment_id=available.pk, now=now) == "stopped"
    run_until_settled(available)
    with capture(execute=True):
        request_create(requester=scientist, project_slug="fraud",
                       product_id=available.product_id, parameters={}, justification="More",
                       action="extend", environment_ref=str(available.pk), lease_days=5)
    new_end = end_of(available)
    assert now + 5 * DAY <= new_end < now + 5 * DAY + timedelta(minutes=5)  # from now
    lease = Lease.objects.get(pk=available.pk)
    assert lease.ended_at is None
    # When the grace period would have ended: the new end's warning, no termination.
    assert sweep_and_enforce(now + 3 * DAY, capture) == ["warned"]
    available.refresh_from_db()
    assert available.status == "stopped"


def test_paused_enforcement_neither_stops_nor_terminates(
        available: Environment, platform_admin: User, scientist: User,
        django_capture_on_commit_callbacks: Any) -> None:
    end = end_of(available)
    capture = django_capture_on_commit_callbacks
    with pytest.raises(PermissionDenied):
        lease_pause(environment=available, admin=scientist, reason="mine")
    with pytest.raises(LeaseError, match="Say why"):
        lease_pause(environment=available, admin=platform_admin, reason="  ")
    assert not Lease.objects.get(pk=available.pk).paused
    lease_pause(environment=available, admin=platform_admin, reason="Quarter-end model run")
    assert sweep_and_enforce(end + 10 * DAY, capture) == []
    assert lease_enforce(environment_id=available.pk, now=end + 10 * DAY) == "paused"
    available.refresh_from_db()
    assert available.status == "available"
    event = AuditEvent.objects.get(action="lease.paused")
    assert event.actor == platform_admin and event.data["reason"] == "Quarter-end model run"
    assert available.events.filter(kind="lease", message__contains="paused by").exists()
    lease_resume(environment=available, admin=platform_admin)
    assert sweep_and_enforce(end + 10 * DAY, capture) == ["stopped"]


def test_an_environment_busy_at_the_end_is_looked_at_again_a_sweep_later(
        available: Environment, settings: Any) -> None:
    settings.PORTAL_LEASE_SWEEP_SECONDS = 300
    end = end_of(available)
    Environment.objects.filter(pk=available.pk).update(status="starting")
    at = end + timedelta(minutes=1)
    assert lease_enforce(environment_id=available.pk, now=at) == "waiting"
    lease = Lease.objects.get(pk=available.pk)
    assert lease.ended_at is None and lease.due_at == at + timedelta(seconds=300)
    assert not AuditEvent.objects.filter(action="lease.ended").exists()
