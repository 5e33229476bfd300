"""What a decision leaves behind: the audit event's data and the requester's step e-mail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from approvals.models import Request
from approvals.services import request_approve, request_reject
from portal.models import AuditEvent, User

pytestmark = pytest.mark.django_db


def test_an_approval_is_audited_with_the_task_step_verdict_and_comment(
    gpu_request: Request, manager: User
) -> None:
    task = gpu_request.tasks.get()
    request_approve(task=task, approver=manager, comment="  Fine for the quarter end. ")
    event = AuditEvent.objects.get(action="approval.decided")
    assert event.actor == manager and event.object_id == str(gpu_request.pk)
    assert event.data == {"task": task.pk, "step": task.name, "verdict": "approve",
                          "comment": "Fine for the quarter end."}


def test_a_rejection_is_audited_with_its_reason(gpu_request: Request, manager: User) -> None:
    task = gpu_request.tasks.get()
    request_reject(task=task, approver=manager, comment="Use a CPU instance.")
    event = AuditEvent.objects.get(action="approval.decided")
    assert event.data == {"task": task.pk, "step": task.name, "verdict": "reject",
                          "comment": "Use a CPU instance."}


def test_the_requester_is_told_which_step_approved_and_which_one_waits(
    gpu_request: Request, scientist: User, manager: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    first = gpu_request.tasks.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request_approve(task=first, approver=manager)
    second = gpu_request.tasks.get(status="pending")
    [step_mail] = [m for m in mail.outbox if m.to == [scientist.email]]
    assert step_mail.subject.endswith(f"Step approved: {gpu_request.product}")
    assert (f"“{first.name}” approved your request; it now waits for “{second.name}”."
            in step_mail.body)
