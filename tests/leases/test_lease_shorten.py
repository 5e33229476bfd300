"""A platform admin shortens a lease (``lease_shorten``, the lease page's form): validated,
audited, on the timeline, the owner told; the next sweep after the new end stops the notebook."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from leases.models import Lease
from leases.services import LeaseError, lease_pause, lease_shorten
from portal.models import AuditEvent, Notification, User
from provisioning.models import Environment
from tests.leases.test_lease_enforce import end_of, sweep_and_enforce
from tests.provisioning.conftest import run_until_settled

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_environment_stops_at_the_new_end_on_the_next_sweep(
        available: Environment, platform_admin: User, scientist: User,
        django_capture_on_commit_callbacks: Any) -> None:
    before = end_of(available)
    now = timezone.now()
    new_end = (now + timedelta(hours=2)).replace(microsecond=0)
    answer = signed_in(platform_admin).post(f"/leases/{available.pk}/shorten", {
        "ends_at": new_end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "reason": "Cost freeze"})
    assert answer.status_code == 302
    assert end_of(available) == new_end
    event = AuditEvent.objects.get(action="lease.shortened")
    assert event.actor == platform_admin and event.data["reason"] == "Cost freeze"
    assert event.data["before"] == before.isoformat()
    assert available.events.filter(kind="lease", message__contains="shortened").exists()
    assert Notification.objects.filter(recipient=scientist,
                                       text__startswith="Lease shortened").exists()
    capture = django_capture_on_commit_callbacks
    assert sweep_and_enforce(new_end - timedelta(hours=1), capture) == ["warned"]
    assert sweep_and_enforce(new_end - timedelta(minutes=30), capture) == []
    assert sweep_and_enforce(new_end + timedelta(minutes=1), capture) == ["stopped"]
    assert run_until_settled(available).status == "stopped"


@pytest.mark.parametrize(("ends_at", "message"), [
    ("tomorrow", "is not a date and time"),
    ("2001-01-01T00:00", "is in the past"),
    ("2999-01-01T00:00", "shortening needs an earlier end"),
])
def test_a_bad_end_is_refused_and_nothing_changes(
        available: Environment, platform_admin: User, ends_at: str, message: str) -> None:
    before = end_of(available)
    due = Lease.objects.get(pk=available.pk).due_at
    answer = signed_in(platform_admin).post(f"/leases/{available.pk}/shorten",
                                            {"ends_at": ends_at, "reason": "Cost freeze"})
    assert answer.status_code == 400 and message in answer.content.decode()
    assert end_of(available) == before and Lease.objects.get(pk=available.pk).due_at == due
    assert not AuditEvent.objects.filter(action="lease.shortened").exists()


def test_only_platform_admins_with_a_reason_on_a_live_enforced_lease(
        available: Environment, platform_admin: User, scientist: User) -> None:
    soon = timezone.now() + timedelta(hours=1)
    with pytest.raises(PermissionDenied):
        lease_shorten(environment=available, admin=scientist, ends_at=soon, reason="x")
    with pytest.raises(LeaseError, match="Say why"):
        lease_shorten(environment=available, admin=platform_admin, ends_at=soon, reason=" ")
    lease_pause(environment=available, admin=platform_admin, reason="Audit")
    with pytest.raises(LeaseError, match="paused"):
        lease_shorten(environment=available, admin=platform_admin, ends_at=soon, reason="x")
    assert signed_in(scientist).post(f"/leases/{available.pk}/shorten", {
        "ends_at": soon.strftime("%Y-%m-%dT%H:%M"), "reason": "x"}).status_code == 403
