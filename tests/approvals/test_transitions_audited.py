"""Every edge of the request and approval-task tables, taken through the services, writes its
audit event: the test walks the tables (``approvals.states.TRANSITIONS``) and fails on an edge
no scenario reached, or one reached without an audit event."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from approvals import states
from approvals.models import ApprovalTask, Request
from approvals.services import (
    request_approve,
    request_cancel,
    request_reapproval,
    request_reject,
)
from approvals.sweep import approval_tasks_sweep
from portal.models import AuditEvent, User

pytestmark = pytest.mark.django_db

Edge = tuple[str, str, str]  # (model, from, to)


def approve(request: Request, people: dict[str, User]) -> None:
    request_approve(task=request.tasks.get(), approver=people["manager"])
    request_approve(task=request.tasks.get(status="pending"), approver=people["admin"])


def reject(request: Request, people: dict[str, User]) -> None:
    request_reject(task=request.tasks.get(), approver=people["manager"], comment="Too costly.")


def cancel(request: Request, people: dict[str, User]) -> None:
    request_cancel(request=request, user=people["scientist"])


def expire(request: Request, people: dict[str, User]) -> None:
    Request.objects.filter(pk=request.pk).update(created_at=timezone.now() - timedelta(days=30))
    approval_tasks_sweep(now=timezone.now())


def reapproval(request: Request, people: dict[str, User]) -> None:
    approve(request, people)
    request.refresh_from_db()
    request_reapproval(request=request, reason="The change plan went stale.",
                       actor_label="portal:change-plan")


SCENARIOS: dict[str, Callable[[Request, dict[str, User]], None]] = {
    "approve": approve, "reject": reject, "cancel": cancel, "expire": expire,
    "reapproval": reapproval}

# The audit action each edge writes (the request's events name the request; a task's, its step).
ACTIONS = {"request": "request.{to}", "approvaltask": "approval.task_{to}"}
# Back to pending is no decision: it says why the request was sent back.
SPECIAL = {("request", "approved", "pending"): "request.reapproval"}


def table_edges() -> set[Edge]:
    return {(model._meta.model_name or "", source, target)
            for model, table in states.TRANSITIONS.items()
            for source, targets in table.items() for target in targets}


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Edge, Any]]:
    """Every edge ``status_transition`` takes, with the request it belongs to."""
    from approvals.services import workflow

    seen: list[tuple[Edge, Any]] = []
    real = states.status_transition

    def spy(*, obj: Request | ApprovalTask, to: str, **kwargs: Any) -> None:
        edge = (obj._meta.model_name or "", str(obj.status), str(to))
        real(obj=obj, to=to, **kwargs)
        seen.append((edge, obj.pk if isinstance(obj, Request) else obj.request_id))

    monkeypatch.setattr(workflow, "status_transition", spy)
    return seen


def test_every_request_and_task_transition_is_audited(
        gpu_request: Request, scientist: User, manager: User, platform_admin: User,
        taken: list[tuple[Edge, Any]]) -> None:
    from tests.approvals.conftest import request_notebook

    people = {"scientist": scientist, "manager": manager, "admin": platform_admin}
    for name, scenario in SCENARIOS.items():
        request = gpu_request if name == "approve" else request_notebook(
            scientist, gpu_request.project, gpu_request.product, "ml.p3.2xlarge")
        before = len(taken)
        scenario(request, people)
        assert len(taken) > before, f"{name} took no transition"

    for (model, _source, target), request_pk in taken:
        action = SPECIAL.get((model, _source, target)) or ACTIONS[model].format(to=target)
        assert AuditEvent.objects.filter(action=action, object_id=str(request_pk)).exists(), (
            f"{model} → {target} of request {request_pk} left no {action} audit event")
    assert {edge for edge, _ in taken} == table_edges()  # the walk covered the whole table
