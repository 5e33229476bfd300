from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from approvals.errors import AlreadyDecided, NotEligible, SelfApproval
from approvals.models import ApprovalTask, Decision, Request
from approvals.services import request_approve, request_reject, task_approvers, tasks_approve
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from tests.approvals.conftest import request_notebook, snapshot

pytestmark = pytest.mark.django_db


def test_the_manager_approves_and_the_request_moves_to_the_platform_admins(
    gpu_request: Request, manager: User, platform_admin: User
) -> None:
    decision = request_approve(task=gpu_request.tasks.get(), approver=manager, comment="ok")
    assert decision.verdict == Decision.Verdict.APPROVE and decision.comment == "ok"
    open_task = gpu_request.tasks.get(status="pending")
    assert open_task.name == "Platform admin"
    assert task_approvers(task=open_task) == [platform_admin]
    event = AuditEvent.objects.get(action="approval.decided")
    assert event.actor == manager and event.data["verdict"] == "approve"


def test_it_rejects_approval_of_own_request_even_in_the_approver_group(
    demo_policies: None, platform_admin: User, manager: User, project: Project,
    notebook: Product,
) -> None:
    project.memberships.create(user=platform_admin)
    platform_admin.manager = manager
    platform_admin.save()
    request = request_notebook(platform_admin, project, notebook, "ml.p3.2xlarge")
    request_approve(task=request.tasks.get(), approver=manager)
    second = request.tasks.get(status="pending")
    assert second.eligible_groups.filter(name="ml-platform-admins").exists()
    assert platform_admin not in task_approvers(task=second)  # left out of the group's members...
    second.eligible_approvers.add(platform_admin)  # ...and refused again at decision time
    before = snapshot()
    with pytest.raises(SelfApproval, match="your own request"):
        request_approve(task=second, approver=platform_admin)
    assert snapshot() == before


def test_a_non_approver_cannot_decide_and_nothing_changes(
    gpu_request: Request, colleague: User, other_manager: User, auditor: User
) -> None:
    task = gpu_request.tasks.get()
    before = snapshot()
    for user in (colleague, other_manager, auditor):
        with pytest.raises(NotEligible):
            request_approve(task=task, approver=user)
        with pytest.raises(NotEligible):
            request_reject(task=task, approver=user, comment="no")
    assert snapshot() == before


def test_deciding_an_already_decided_task_says_already_decided_and_changes_nothing(
    gpu_request: Request, manager: User
) -> None:
    task = gpu_request.tasks.get()
    request_approve(task=task, approver=manager)
    before = snapshot()
    with pytest.raises(AlreadyDecided, match="Already decided"):
        request_approve(task=task, approver=manager)
    with pytest.raises(AlreadyDecided):
        request_reject(task=task, approver=manager, comment="changed my mind")
    assert snapshot() == before


def test_deciding_an_expired_task_says_already_decided_and_changes_nothing(
    gpu_request: Request, manager: User
) -> None:
    task = gpu_request.tasks.get()
    ApprovalTask.objects.filter(pk=task.pk).update(status=ApprovalTask.Status.EXPIRED)
    Request.objects.filter(pk=gpu_request.pk).update(status=Request.Status.EXPIRED)
    before = snapshot()
    with pytest.raises(AlreadyDecided):
        request_approve(task=task, approver=manager)
    assert snapshot() == before


def test_a_rejection_needs_a_comment_and_changes_nothing_without_one(
    gpu_request: Request, manager: User
) -> None:
    before = snapshot()
    with pytest.raises(Exception, match="comment is required"):
        request_reject(task=gpu_request.tasks.get(), approver=manager, comment="  ")
    assert snapshot() == before


def test_a_rejection_ends_the_request_with_the_reason(
    gpu_request: Request, manager: User, django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        request_reject(task=gpu_request.tasks.get(), approver=manager,
                       comment="Use a CPU instance first")
    gpu_request.refresh_from_db()
    assert gpu_request.status == Request.Status.REJECTED
    assert gpu_request.status_reason == "Use a CPU instance first"
    assert gpu_request.handed_off_at is None
    assert gpu_request.tasks.count() == 1  # the platform step never opened
    assert AuditEvent.objects.filter(action="request.rejected").count() == 1
    notice = next(m for m in mail.outbox if m.to == [gpu_request.requester.email]
                  and "rejected" in m.subject.lower())
    assert "Use a CPU instance first" in notice.body


def test_bulk_approve_approves_each_task_and_reports_refusals_one_by_one(
    demo_policies: None, scientist: User, colleague: User, manager: User, platform_admin: User,
    project: Project, notebook: Product,
) -> None:
    first = request_notebook(scientist, project, notebook, "ml.p3.2xlarge")
    second = request_notebook(colleague, project, notebook, "ml.g4dn.xlarge")
    decided = first.tasks.get()
    request_approve(task=decided, approver=manager)
    results = tasks_approve(tasks=[decided, second.tasks.get()], approver=manager)
    assert isinstance(results[0][1], AlreadyDecided)
    assert isinstance(results[1][1], Decision)
    assert second.tasks.get(position=0).status == "approved"


def test_group_membership_counts_at_decision_time(
    gpu_request: Request, manager: User, platform_admin: User
) -> None:
    from django.contrib.auth.models import Group

    from tests.conftest import make_user

    request_approve(task=gpu_request.tasks.get(), approver=manager)
    task = gpu_request.tasks.get(status="pending")
    admins = Group.objects.get(name="ml-platform-admins")
    newcomer = make_user("nina.newadmin")
    with pytest.raises(NotEligible):
        request_approve(task=task, approver=newcomer)
    newcomer.groups.add(admins)  # e.g. first SAML sign-in after the task opened
    platform_admin.groups.remove(admins)  # left the platform team
    before = snapshot()
    with pytest.raises(NotEligible):
        request_approve(task=task, approver=platform_admin)
    assert snapshot() == before
    request_approve(task=task, approver=newcomer)
    gpu_request.refresh_from_db()
    assert gpu_request.status == Request.Status.APPROVED
