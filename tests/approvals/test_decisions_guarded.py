"""Decisions the workflow must refuse or record exactly: late ones, repeated ones, four eyes
across steps, decision times, and who the audit trail names for an automatic approval."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from approvals.errors import AlreadyDecided, NotEligible
from approvals.models import ApprovalPolicy, ApprovalRule, ApprovalStep, ApprovalTask, Request
from approvals.selectors import inbox_for_user
from approvals.services import (
    earlier_deciders,
    request_approve,
    request_cancel,
    request_reject,
    task_approvers,
    task_is_eligible,
)
from approvals.sweep import approval_tasks_sweep
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from tests.approvals.conftest import request_notebook, snapshot
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewers(db: None) -> Group:
    group = Group.objects.create(name="reviewers")
    for username in ("rita.reviewer", "rob.reviewer"):
        make_user(username).groups.add(group)
    return group


def _rule(*steps: dict[str, Any], distinct: bool = True, **conditions: Any) -> ApprovalRule:
    policy = ApprovalPolicy.objects.create(name="Guarded", distinct_step_approvers=distinct)
    rule = ApprovalRule.objects.create(policy=policy, name="Notebooks", **conditions)
    for position, spec in enumerate(steps):
        users = spec.pop("users", [])
        step = ApprovalStep.objects.create(rule=rule, position=position, name=f"Step {position}",
                                           **spec)
        step.users.set(users)
    return rule


def _between(moment: datetime | None, before: datetime) -> bool:
    return moment is not None and before <= moment <= timezone.now()


def test_a_late_decision_on_an_approved_step_is_refused_while_the_request_waits(
    scientist: User, manager: User, project: Project, notebook: Product, reviewers: Group,
) -> None:
    _rule({"approvers": "group", "group": reviewers}, {"approvers": "manager"})
    request = request_notebook(scientist, project, notebook)
    first = request.tasks.get()
    request_approve(task=first, approver=User.objects.get(username="rita.reviewer"))
    before = snapshot()
    with pytest.raises(AlreadyDecided, match="this step is approved and the request is pending"):
        request_approve(task=first, approver=User.objects.get(username="rob.reviewer"))
    with pytest.raises(AlreadyDecided):
        request_reject(task=first, approver=User.objects.get(username="rob.reviewer"),
                       comment="Too late")
    assert snapshot() == before


def test_deciding_the_same_step_twice_is_refused_before_the_step_completes(
    scientist: User, manager: User, project: Project, notebook: Product, reviewers: Group,
) -> None:
    _rule({"approvers": "group", "group": reviewers, "required_approvals": 2})
    request = request_notebook(scientist, project, notebook)
    task = request.tasks.get()
    rita = User.objects.get(username="rita.reviewer")
    request_approve(task=task, approver=rita)
    before = snapshot()
    with pytest.raises(AlreadyDecided) as refused:
        request_approve(task=task, approver=rita)
    assert refused.value.message == "Already decided: you have decided this step before."
    assert snapshot() == before
    assert Request.objects.get(pk=request.pk).status == Request.Status.PENDING


def test_every_decision_is_timed_on_the_task_and_the_request(
    scientist: User, manager: User, platform_admin: User, gpu_request: Request,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    before = timezone.now()
    first = gpu_request.tasks.get()
    request_approve(task=first, approver=manager)
    first.refresh_from_db()
    second = gpu_request.tasks.get(status="pending")
    assert _between(first.decided_at, before) and second.decided_at is None
    assert Request.objects.get(pk=gpu_request.pk).decided_at is None  # still waiting
    with django_capture_on_commit_callbacks(execute=True):
        request_approve(task=second, approver=platform_admin)
    second.refresh_from_db()
    gpu_request.refresh_from_db()
    assert _between(second.decided_at, before) and _between(gpu_request.decided_at, before)
    assert gpu_request.status == Request.Status.APPROVED


@pytest.mark.parametrize("end", ["reject", "cancel", "expire"])
def test_a_request_that_ends_early_is_timed_and_its_open_task_closed(
    end: str, scientist: User, manager: User, gpu_request: Request,
) -> None:
    before = timezone.now()
    task = gpu_request.tasks.get()
    if end == "reject":
        request_reject(task=task, approver=manager, comment="Use a CPU.")
        expected = ("rejected", "rejected")
    elif end == "cancel":
        request_cancel(request=gpu_request, user=scientist)
        expected = ("cancelled", "skipped")
    else:
        Request.objects.filter(pk=gpu_request.pk).update(
            created_at=before - timezone.timedelta(days=30))
        approval_tasks_sweep(now=timezone.now())
        expected = ("expired", "expired")
    gpu_request.refresh_from_db()
    task.refresh_from_db()
    assert (gpu_request.status, task.status) == expected
    assert _between(gpu_request.decided_at, before) and _between(task.decided_at, before)


# --- four eyes across steps -----------------------------------------------------------------

@pytest.fixture
def manager_leads(manager: User, project: Project) -> User:
    """The manager is also the project's (only) lead: both steps would name them."""
    project.memberships.filter(user=manager).update(role="lead")
    project.memberships.exclude(user=manager).filter(role="lead").update(role="member")
    return manager


def test_whoever_decided_step_one_is_not_offered_step_two(
    scientist: User, manager_leads: User, platform_admin: User, project: Project,
    notebook: Product,
) -> None:
    _rule({"approvers": "manager"}, {"approvers": "project_leads"})
    request = request_notebook(scientist, project, notebook)
    request_approve(task=request.tasks.get(), approver=manager_leads)
    second = request.tasks.get(status="pending")
    assert earlier_deciders(task=second) == {manager_leads.pk}
    assert second.escalated  # nobody else is a lead: the fallback group joined
    assert task_approvers(task=second) == [platform_admin]
    assert not task_is_eligible(task=second, user=manager_leads)
    assert task_is_eligible(task=second, user=platform_admin)
    assert list(inbox_for_user(user=manager_leads)) == []
    assert list(inbox_for_user(user=platform_admin)) == [second]
    event = AuditEvent.objects.filter(action="approval.task_created").latest("pk")
    assert event.data["excluded"] == [manager_leads.pk]


def test_the_four_eyes_check_runs_again_under_the_lock_and_survives_a_policy_edit(
    scientist: User, manager_leads: User, platform_admin: User, project: Project,
    notebook: Product,
) -> None:
    rule = _rule({"approvers": "manager"}, {"approvers": "project_leads"})
    request = request_notebook(scientist, project, notebook)
    request_approve(task=request.tasks.get(), approver=manager_leads)
    second = request.tasks.get(status="pending")
    ApprovalPolicy.objects.filter(pk=rule.policy_id).update(distinct_step_approvers=False)
    second.eligible_approvers.add(manager_leads)  # named in person: still refused
    before = snapshot()
    with pytest.raises(NotEligible, match="decided an earlier step"):
        request_approve(task=second, approver=manager_leads)
    assert snapshot() == before


def test_with_four_eyes_off_one_person_may_decide_both_steps(
    scientist: User, manager_leads: User, project: Project, notebook: Product,
) -> None:
    _rule({"approvers": "manager"}, {"approvers": "project_leads"}, distinct=False)
    request = request_notebook(scientist, project, notebook)
    request_approve(task=request.tasks.get(), approver=manager_leads)
    second = request.tasks.get(status="pending")
    assert not second.distinct_step_approvers and not second.escalated
    assert earlier_deciders(task=second) == set()
    assert list(inbox_for_user(user=manager_leads)) == [second]
    request_approve(task=second, approver=manager_leads)
    assert Request.objects.get(pk=request.pk).status == Request.Status.APPROVED


def test_a_new_policy_asks_for_four_eyes_by_default() -> None:
    assert ApprovalPolicy(name="x").distinct_step_approvers is True
    assert ApprovalTask().distinct_step_approvers is True


# --- automatic approvals name the policy, never the requester ---------------------------------

def test_an_auto_approval_is_audited_with_the_rule_as_actor(
    scientist: User, project: Project, notebook: Product,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    ApprovalRule.objects.create(
        policy=ApprovalPolicy.objects.create(name="CPU"), name="Small notebooks",
        auto_approve=True)
    with django_capture_on_commit_callbacks(execute=True):
        request = request_notebook(scientist, project, notebook)
    event = AuditEvent.objects.get(action="request.approved", object_id=str(request.pk))
    assert event.actor is None
    assert event.actor_username == "policy:CPU / rule:Small notebooks"
    assert event.data == {"how": "rule", "rule": "Small notebooks", "policy": "CPU"}
    # The segregation-of-duties query over the export: nobody approved their own request.
    created = AuditEvent.objects.get(action="request.created", object_id=str(request.pk))
    assert created.actor_username == scientist.username
    assert not AuditEvent.objects.filter(action="request.approved",
                                         actor_username=scientist.username).exists()


def test_the_default_auto_approval_is_audited_as_the_default(
    scientist: User, project: Project, notebook: Product, settings: Any,
) -> None:
    settings.PORTAL_APPROVAL_DEFAULT = "auto"
    request = request_notebook(scientist, project, notebook)
    event = AuditEvent.objects.get(action="request.approved", object_id=str(request.pk))
    assert (event.actor, event.actor_username) == (None, "default:auto")
    assert event.data == {"how": "default", "rule": None, "policy": None}


def test_an_approval_through_steps_names_the_last_approver(
    gpu_request: Request, manager: User, platform_admin: User,
) -> None:
    request_approve(task=gpu_request.tasks.get(), approver=manager)
    request_approve(task=gpu_request.tasks.get(status="pending"), approver=platform_admin)
    event = AuditEvent.objects.get(action="request.approved")
    assert event.actor == platform_admin and event.data == {"how": "steps"}
