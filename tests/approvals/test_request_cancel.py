from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from approvals.errors import InvalidTransition, NotAllowed
from approvals.models import Request
from approvals.services import request_approve, request_cancel
from portal.models import AuditEvent, User
from tests.approvals.conftest import snapshot

pytestmark = pytest.mark.django_db


def test_the_requester_cancels_a_pending_request_and_the_approvers_are_told(
    gpu_request: Request, scientist: User, manager: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request_cancel(request=gpu_request, user=scientist)
    gpu_request.refresh_from_db()
    assert gpu_request.status == Request.Status.CANCELLED
    assert gpu_request.tasks.get().status == "skipped"
    assert AuditEvent.objects.get(action="request.cancelled").actor == scientist
    assert any(m.to == [manager.email] and "cancelled" in m.subject.lower()
               for m in mail.outbox)


@pytest.mark.parametrize("who", ["colleague", "manager", "platform_admin", "auditor"])
def test_cancelling_someone_elses_request_is_refused_and_changes_nothing(
    gpu_request: Request, who: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(who)
    before = snapshot()
    with pytest.raises(NotAllowed):
        request_cancel(request=gpu_request, user=user)
    assert snapshot() == before


def test_a_decided_request_cannot_be_cancelled(
    gpu_request: Request, scientist: User, manager: User, platform_admin: User
) -> None:
    request_approve(task=gpu_request.tasks.get(), approver=manager)
    request_approve(task=gpu_request.tasks.get(status="pending"), approver=platform_admin)
    before = snapshot()
    with pytest.raises(InvalidTransition, match="Only a pending request"):
        request_cancel(request=gpu_request, user=scientist)
    assert snapshot() == before
