"""An approver's delegate decides the steps that wait for them, within the range only, on their
behalf (audited, notified, shown), and separation of duties holds for the delegate too."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from approvals.errors import AlreadyDecided, NotEligible, SelfApproval
from approvals.models import (
    ApprovalDelegation,
    ApprovalPolicy,
    ApprovalRule,
    ApprovalStep,
    Decision,
    Request,
)
from approvals.selectors import inbox_tasks, task_for_user
from approvals.services import request_approve, request_reject
from catalog.models import Product
from portal.models import AuditEvent, Notification, Project, Role, User
from tests.approvals.conftest import request_notebook, snapshot
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def deputy(db: None) -> User:
    return make_user("dave.deputy", roles=[Role.APPROVER])


def delegate(delegator: User, to: User, *, starts: int = 0, ends: int = 5,
             **extra: Any) -> ApprovalDelegation:
    """A delegation from `starts` to `ends` days from today (stored directly: past ranges too)."""
    today = timezone.localdate()
    return ApprovalDelegation.objects.create(delegator=delegator, delegate=to,
                                             starts_on=today + starts * DAY,
                                             ends_on=today + ends * DAY, **extra)


def test_the_delegate_decides_the_manager_step_on_the_managers_behalf(
    gpu_request: Request, manager: User, deputy: User, platform_admin: User
) -> None:
    delegate(manager, deputy)
    task = gpu_request.tasks.get()
    assert task in inbox_tasks(user=deputy)

    decision = request_approve(task=task, approver=deputy, comment="covering for Maria")

    assert decision.approver == deputy and decision.on_behalf_of == manager
    event = AuditEvent.objects.get(action="approval.decided")
    assert event.actor == deputy and event.actor_username == "dave.deputy"
    assert event.data["on_behalf_of"] == "maria.manager" and event.data["verdict"] == "approve"
    notice = Notification.objects.get(recipient=manager, text__contains="Decided on your behalf")
    assert gpu_request.reference in notice.text
    assert gpu_request.tasks.get(status="pending").name == "Platform admin"
    assert task not in inbox_tasks(user=manager)  # decided for them: gone from their inbox too


def test_a_decision_in_ones_own_right_is_not_marked_on_behalf(
    gpu_request: Request, manager: User, deputy: User
) -> None:
    delegate(manager, deputy)
    decision = request_approve(task=gpu_request.tasks.get(), approver=manager)
    assert decision.on_behalf_of is None
    assert "on_behalf_of" not in AuditEvent.objects.get(action="approval.decided").data


@pytest.mark.parametrize(("starts", "ends", "ended"), [
    (1, 5, False),    # not yet: starts tomorrow
    (-5, -1, False),  # over: ended yesterday
    (-1, 5, True),    # ended early
])
def test_the_delegate_cannot_decide_outside_the_range(
    gpu_request: Request, manager: User, deputy: User, starts: int, ends: int, ended: bool
) -> None:
    delegate(manager, deputy, starts=starts, ends=ends,
             ended_at=timezone.now() if ended else None)
    task = gpu_request.tasks.get()
    assert task not in inbox_tasks(user=deputy)
    before = snapshot()
    with pytest.raises(NotEligible):
        request_approve(task=task, approver=deputy)
    with pytest.raises(NotEligible):
        request_reject(task=task, approver=deputy, comment="no")
    assert snapshot() == before


def test_the_range_includes_its_last_day(gpu_request: Request, manager: User,
                                         deputy: User) -> None:
    delegate(manager, deputy, starts=-3, ends=0)
    assert request_approve(task=gpu_request.tasks.get(), approver=deputy).on_behalf_of == manager


def test_a_delegate_never_decides_their_own_request(
    demo_policies: None, manager: User, colleague: User, project: Project, notebook: Product
) -> None:
    delegate(manager, colleague)  # the colleague stands in for their own manager
    own = request_notebook(colleague, project, notebook, "ml.p3.2xlarge")
    task = own.tasks.get()
    assert task not in inbox_tasks(user=colleague)
    before = snapshot()
    with pytest.raises(SelfApproval):
        request_approve(task=task, approver=colleague)
    assert snapshot() == before


def test_an_inactive_delegator_passes_nothing_on(gpu_request: Request, manager: User,
                                                 deputy: User) -> None:
    delegate(manager, deputy)
    manager.is_active = False
    manager.save()
    with pytest.raises(NotEligible):
        request_approve(task=gpu_request.tasks.get(), approver=deputy)


def test_group_steps_stay_with_the_group(gpu_request: Request, manager: User, deputy: User,
                                         platform_admin: User) -> None:
    request_approve(task=gpu_request.tasks.get(), approver=manager)
    delegate(platform_admin, deputy)
    group_task = gpu_request.tasks.get(status="pending")
    assert group_task not in inbox_tasks(user=deputy)
    with pytest.raises(NotEligible, match="not an approver"):
        request_approve(task=group_task, approver=deputy)


def test_delegation_does_not_chain(gpu_request: Request, manager: User, deputy: User,
                                   other_manager: User) -> None:
    delegate(manager, deputy)
    delegate(deputy, other_manager)
    with pytest.raises(NotEligible):
        request_approve(task=gpu_request.tasks.get(), approver=other_manager)


@pytest.fixture
def two_person_steps(manager: User, other_manager: User, scientist: User, project: Project,
                     notebook: Product) -> Request:
    """Two steps of named people: the manager, then the other manager."""
    policy = ApprovalPolicy.objects.create(name="Two people")
    rule = ApprovalRule.objects.create(policy=policy, name="Two people")
    first = ApprovalStep.objects.create(rule=rule, position=0, name="First", approvers="users")
    first.users.add(manager)
    second = ApprovalStep.objects.create(rule=rule, position=1, name="Second", approvers="users")
    second.users.add(other_manager)
    request: Request = request_notebook(scientist, project, notebook)
    return request


def test_nobody_decides_two_steps_of_one_request_even_as_a_delegate(
    two_person_steps: Request, manager: User, other_manager: User, deputy: User
) -> None:
    delegate(manager, deputy)
    delegate(other_manager, deputy)
    request_approve(task=two_person_steps.tasks.get(), approver=deputy)
    second = two_person_steps.tasks.get(status="pending")
    assert second not in inbox_tasks(user=deputy)
    before = snapshot()
    with pytest.raises(NotEligible, match="earlier step"):
        request_approve(task=second, approver=deputy)
    assert snapshot() == before
    assert request_approve(task=second, approver=other_manager).on_behalf_of is None


def test_a_step_decided_for_someone_counts_as_theirs_under_four_eyes(
    two_person_steps: Request, manager: User, deputy: User
) -> None:
    delegate(manager, deputy)
    request_approve(task=two_person_steps.tasks.get(), approver=deputy)
    second = two_person_steps.tasks.get(status="pending")
    second.eligible_approvers.add(manager)  # named on the second step too
    assert second not in inbox_tasks(user=manager)
    with pytest.raises(NotEligible, match="earlier step"):
        request_approve(task=second, approver=manager)


def test_the_delegator_and_the_delegate_do_not_both_count_on_one_step(
    gpu_request: Request, manager: User, other_manager: User, deputy: User
) -> None:
    task = gpu_request.tasks.get()
    task.required_approvals = 2
    task.save()
    task.eligible_approvers.add(other_manager)
    delegate(manager, deputy)
    request_approve(task=task, approver=deputy)
    with pytest.raises(AlreadyDecided, match="your delegate"):
        request_approve(task=task, approver=manager)
    assert task not in inbox_tasks(user=deputy)  # nobody else to stand in for
    assert Decision.objects.filter(task=task).count() == 1


def test_the_inbox_marks_the_tasks_decided_on_someones_behalf(
    gpu_request: Request, manager: User, deputy: User
) -> None:
    delegate(manager, deputy)
    client = Client()
    client.force_login(deputy)
    page = client.get("/requests/inbox/").content.decode()
    assert f'data-task="{gpu_request.tasks.get().pk}"' in page
    assert 'data-on-behalf-of="maria.manager"' in page and "on behalf of Maria Example" in page
    client.force_login(manager)
    own = client.get("/requests/inbox/").content.decode()
    assert f'data-task="{gpu_request.tasks.get().pk}"' in own and "data-on-behalf-of" not in own


def test_the_delegate_decides_from_the_request_page_and_the_chain_shows_it(
    gpu_request: Request, manager: User, deputy: User
) -> None:
    delegate(manager, deputy)
    client = Client()
    client.force_login(deputy)
    page = client.get(f"/requests/{gpu_request.pk}/")
    assert page.status_code == 200 and 'id="on-behalf-of"' in page.content.decode()
    task = gpu_request.tasks.get()
    response = client.post(f"/requests/tasks/{task.pk}/decide", {"verdict": "approve"})
    assert response.status_code == 302
    chain = client.get(f"/requests/{gpu_request.pk}/").content.decode()
    assert 'data-on-behalf-of="maria.manager"' in chain and "on behalf of Maria Example" in chain


def test_the_api_inbox_and_decision_carry_the_delegation(
    gpu_request: Request, manager: User, deputy: User
) -> None:
    delegate(manager, deputy)
    client = APIClient()
    client.force_authenticate(deputy)
    rows = client.get("/api/v1/inbox").json()["results"]
    assert [r["on_behalf_of"] for r in rows] == ["maria.manager"]
    task = gpu_request.tasks.get()
    response = client.post(f"/api/v1/tasks/{task.pk}/approve", {"comment": "ok"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["on_behalf_of"] == "maria.manager"
    detail = client.get(f"/api/v1/requests/{gpu_request.pk}").json()
    decided = detail["chain"][0]["decisions"][0]
    assert decided["approver"]["username"] == "dave.deputy"
    assert decided["on_behalf_of"]["username"] == "maria.manager"
    assert detail["tasks"][0]["decisions"][0]["on_behalf_of"] == "maria.manager"


def test_the_api_refuses_the_delegate_outside_the_range(
    gpu_request: Request, manager: User, deputy: User
) -> None:
    delegate(manager, deputy, starts=-5, ends=-1)
    client = APIClient()
    client.force_authenticate(deputy)
    assert client.get("/api/v1/inbox").json()["results"] == []
    task = gpu_request.tasks.get()
    assert client.post(f"/api/v1/tasks/{task.pk}/approve", {}, format="json").status_code == 404
    with pytest.raises(Exception, match="No such task"):
        task_for_user(user=deputy, pk=task.pk)
