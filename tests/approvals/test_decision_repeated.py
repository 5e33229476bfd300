"""A double-clicked Approve (or Reject) shows the recorded decision, not a 409 page (issue 13).

Only the person who decided gets this: someone whose late decision finds the step closed by
others still sees "Already decided" with 409, and the separation-of-duties refusals are as
they were.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils.html import escape

from approvals.models import ApprovalPolicy, ApprovalRule, ApprovalStep, Decision, Request
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from tests.approvals.conftest import request_notebook, snapshot
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _decide(client: Client, task_pk: int, **data: str) -> Any:
    return client.post(f"/requests/tasks/{task_pk}/decide", data)


@pytest.fixture
def reviewers(db: None) -> Group:
    group = Group.objects.create(name="reviewers")
    for username in ("rita.reviewer", "rob.reviewer"):
        make_user(username).groups.add(group)
    return group


def _pair_rule(group: Group, required: int) -> None:
    rule = ApprovalRule.objects.create(policy=ApprovalPolicy.objects.create(name="Pair"),
                                       name="Notebooks")
    ApprovalStep.objects.create(rule=rule, name="Reviewers", approvers="group", group=group,
                                required_approvals=required)


@pytest.mark.parametrize(("data", "shown"), [
    ({"verdict": "approve"}, "approved"),
    ({"verdict": "reject", "comment": "Use a smaller instance."}, "rejected"),
])
def test_a_second_post_of_the_same_decision_shows_it_on_the_request_page(
    gpu_request: Request, manager: User, data: dict[str, str], shown: str
) -> None:
    task = gpu_request.tasks.get()
    client = _login(manager)
    assert _decide(client, task.pk, **data).status_code == 302
    before = snapshot()
    again = _decide(client, task.pk, **data)
    assert again.status_code == 302 and again["Location"] == f"/requests/{gpu_request.pk}/"
    assert snapshot() == before  # nothing decided, audited or mailed twice
    page = client.get(again["Location"]).content.decode()
    assert escape(f"Your decision on “{task.name}” was already recorded: {shown} at") in page
    assert Decision.objects.filter(task=task).count() == 1
    assert AuditEvent.objects.filter(action="approval.decided").count() == 1


def test_a_repeat_while_the_step_waits_for_more_approvals_shows_the_decision_too(
    scientist: User, project: Project, notebook: Product, reviewers: Group
) -> None:
    _pair_rule(reviewers, required=2)
    task = request_notebook(scientist, project, notebook).tasks.get()
    rita = _login(User.objects.get(username="rita.reviewer"))
    assert _decide(rita, task.pk, verdict="approve").status_code == 302
    again = _decide(rita, task.pk, verdict="approve")
    assert again.status_code == 302
    assert "already recorded: approved" in rita.get(again["Location"]).content.decode()
    task.refresh_from_db()
    assert task.is_pending and task.decisions.count() == 1  # still needs a second person


def test_a_late_decision_of_someone_who_did_not_decide_is_still_refused_with_409(
    scientist: User, project: Project, notebook: Product, reviewers: Group
) -> None:
    _pair_rule(reviewers, required=1)
    task = request_notebook(scientist, project, notebook).tasks.get()
    assert _decide(_login(User.objects.get(username="rita.reviewer")), task.pk,
                   verdict="approve").status_code == 302
    before = snapshot()
    late = _decide(_login(User.objects.get(username="rob.reviewer")), task.pk, verdict="reject",
                   comment="No")
    assert late.status_code == 409 and "Already decided" in late.content.decode()
    assert snapshot() == before


def test_the_requester_is_still_refused_with_403(
    gpu_request: Request, scientist: User
) -> None:
    task = gpu_request.tasks.get()
    response = _decide(_login(scientist), task.pk, verdict="approve")
    assert response.status_code == 403
    assert "You cannot decide your own request." in response.content.decode()
