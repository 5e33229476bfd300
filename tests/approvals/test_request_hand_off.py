from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from approvals.models import Request
from approvals.services import handoff, request_approve, request_hand_off
from portal.models import AuditEvent, User

pytestmark = pytest.mark.django_db


def _approve_all(request: Request, manager: User, platform_admin: User) -> None:
    request_approve(task=request.tasks.get(), approver=manager)
    request_approve(task=request.tasks.get(status="pending"), approver=platform_admin)


def test_the_final_approval_hands_off_once_after_commit(
    gpu_request: Request, manager: User, platform_admin: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _approve_all(gpu_request, manager, platform_admin)
        gpu_request.refresh_from_db()
        assert gpu_request.status == Request.Status.APPROVED
        assert gpu_request.handed_off_at is None  # not before the commit
    hand_offs = [c for c in callbacks if "request_hand_off" in repr(c.__code__.co_names)]
    assert len(hand_offs) == 1
    for callback in callbacks:
        callback()
    gpu_request.refresh_from_db()
    assert gpu_request.handed_off_at is not None
    assert AuditEvent.objects.filter(action="request.handed_off",
                                     object_id=str(gpu_request.pk)).count() == 1


def test_the_hand_off_runs_once_even_when_called_again(
    gpu_request: Request, manager: User, platform_admin: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _approve_all(gpu_request, manager, platform_admin)
    first = Request.objects.get(pk=gpu_request.pk).handed_off_at
    request_hand_off(request=gpu_request)
    assert Request.objects.get(pk=gpu_request.pk).handed_off_at == first
    assert AuditEvent.objects.filter(action="request.handed_off").count() == 1


def test_a_pending_request_is_never_handed_off(gpu_request: Request) -> None:
    request_hand_off(request=gpu_request)
    gpu_request.refresh_from_db()
    assert gpu_request.handed_off_at is None
    assert not AuditEvent.objects.filter(action="request.handed_off").exists()


@pytest.fixture
def provisioning_services(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Records what the hand-off gives its registered handler, in place of provisioning's."""
    calls: list[Any] = []

    def record(*, request: Request) -> None:
        calls.append(request.pk)

    monkeypatch.setattr(handoff, "_handlers", [record])
    return calls


def test_provisioning_registers_its_hand_off_handler_when_the_app_is_ready() -> None:
    from leases.services import lease_extend_apply
    from provisioning.services import environment_provision

    # provisioning's (create, update, terminate), then leases' (extend): INSTALLED_APPS order.
    assert handoff.hand_off_handlers() == [environment_provision, lease_extend_apply]


def test_the_hand_off_calls_the_registered_handler_once(
    gpu_request: Request, manager: User, platform_admin: User, provisioning_services: list[Any],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _approve_all(gpu_request, manager, platform_admin)
    assert provisioning_services == [gpu_request.pk]
    event = AuditEvent.objects.get(action="request.handed_off")
    assert event.data == {"handlers": [
        "tests.approvals.test_request_hand_off.provisioning_services.<locals>.record"]}


def test_without_a_registered_handler_the_hand_off_fails_and_stays_undone(
    gpu_request: Request, manager: User, platform_admin: User,
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    monkeypatch.setattr(handoff, "_handlers", [])
    with django_capture_on_commit_callbacks(execute=False):
        _approve_all(gpu_request, manager, platform_admin)
    with pytest.raises(handoff.HandOffMissing):
        request_hand_off(request=gpu_request)
    gpu_request.refresh_from_db()
    assert gpu_request.handed_off_at is None
    assert not AuditEvent.objects.filter(action="request.handed_off").exists()


def test_the_callers_request_shows_when_it_was_handed_off(
    gpu_request: Request, manager: User, platform_admin: User, provisioning_services: list[Any],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        _approve_all(gpu_request, manager, platform_admin)
    request_hand_off(request=gpu_request)  # no refresh: the caller's object is brought up to date
    assert gpu_request.handed_off_at is not None
    assert gpu_request.handed_off_at == Request.objects.get(pk=gpu_request.pk).handed_off_at
