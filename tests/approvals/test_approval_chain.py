"""The whole approval chain is shown from the start: people's names for group steps ("any one of
N"), the step that waits and since when, decided steps with decider and time, future steps with
who will decide; on the request page (requester and approvers) and in the API, in a number of
queries that does not grow with the number of steps."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient

from approvals.chain import request_chain
from approvals.models import ApprovalPolicy, ApprovalRule, ApprovalStep, Request
from approvals.selectors import request_tasks
from approvals.services import request_approve, request_reject
from catalog.models import Product
from portal.models import Project, User
from tests.approvals.conftest import ADMIN_GROUP, request_notebook
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _chain(request: Request) -> list[Any]:
    request.refresh_from_db()
    return request_chain(request=request, tasks=request_tasks(request=request))


@pytest.fixture
def second_admin(platform_admin: User) -> User:
    user = make_user("paul.admin", department="ML Platform")
    user.groups.add(Group.objects.get(name=ADMIN_GROUP))
    return user


def test_the_chain_is_shown_whole_from_the_start(gpu_request: Request, second_admin: User
                                                 ) -> None:
    first, second = _chain(gpu_request)

    assert (first.name, first.state, first.who) == ("Requester's manager", "waiting",
                                                    "Maria Example")
    assert first.since is not None and first.since == gpu_request.tasks.get().created_at
    assert (second.name, second.state) == ("Platform admin", "future")
    assert second.who == "any one of 2: Pat Example, Paul Example"
    assert second.groups == [ADMIN_GROUP]


def test_a_decided_step_shows_who_decided_and_when(
    gpu_request: Request, manager: User, second_admin: User
) -> None:
    manager.groups.add(Group.objects.get(name=ADMIN_GROUP))  # four eyes keeps her off step 2
    request_approve(task=gpu_request.tasks.get(), approver=manager, comment="Fine")

    first, second = _chain(gpu_request)

    assert first.state == "approved" and first.decided_at is not None
    [decision] = first.decisions
    assert (decision.approver.name, decision.verdict, decision.comment) == (
        "Maria Example", "approve", "Fine")
    assert second.state == "waiting" and second.since is not None
    assert second.who == "any one of 2: Pat Example, Paul Example"


def test_steps_after_a_rejection_are_not_reached(gpu_request: Request, manager: User) -> None:
    request_reject(task=gpu_request.tasks.get(), approver=manager, comment="Too costly")

    first, second = _chain(gpu_request)

    assert first.state == "rejected" and first.decisions[0].verdict == "reject"
    assert (second.state, second.people) == ("not_reached", [])


def test_a_policy_approval_has_no_step(scientist: User, project: Project, notebook: Product,
                                       demo_policies: None) -> None:
    approved = request_notebook(scientist, project, notebook, "ml.t3.medium")
    assert approved.status == Request.Status.APPROVED
    assert _chain(approved) == []


def test_the_request_page_shows_the_chain_to_requester_and_approver(
    gpu_request: Request, scientist: User, manager: User, second_admin: User
) -> None:
    for user in (scientist, manager):
        client = Client()
        client.force_login(user)
        body = client.get(f"/requests/{gpu_request.pk}/").content.decode()
        assert 'id="approval-chain"' in body
        assert 'data-state="waiting" aria-current="step"' in body
        assert "Waiting for Maria Example" in body and "since " in body
        assert "Will be decided by any one of 2: Pat Example, Paul Example" in body


def test_the_api_shows_the_chain(gpu_request: Request, scientist: User, second_admin: User
                                 ) -> None:
    client = APIClient()
    client.force_authenticate(scientist)
    chain = client.get(f"/api/v1/requests/{gpu_request.pk}").json()["chain"]

    assert [(s["name"], s["state"]) for s in chain] == [
        ("Requester's manager", "waiting"), ("Platform admin", "future")]
    assert chain[0]["people"] == [{"username": "maria.manager", "name": "Maria Example"}]
    assert chain[0]["since"] is not None and chain[1]["since"] is None
    assert [p["username"] for p in chain[1]["people"]] == ["pat.admin", "paul.admin"]
    assert chain[1]["who"].startswith("any one of 2")


def _rule_with_steps(count: int) -> None:
    """One rule matching every request, with ``count`` steps of every kind of approver."""
    ApprovalPolicy.objects.update(active=False)
    policy = ApprovalPolicy.objects.create(name=f"{count} steps", distinct_step_approvers=False)
    rule = ApprovalRule.objects.create(policy=policy, name="all")
    group = Group.objects.get(name=ADMIN_GROUP)
    kinds = [ApprovalStep.Approvers.MANAGER, ApprovalStep.Approvers.GROUP,
             ApprovalStep.Approvers.PROJECT_LEADS, ApprovalStep.Approvers.USERS]
    for position in range(count):
        kind = kinds[position % len(kinds)]
        step = ApprovalStep.objects.create(
            rule=rule, position=position, name=f"Step {position}", approvers=kind,
            group=group if kind == ApprovalStep.Approvers.GROUP else None)
        if kind == ApprovalStep.Approvers.USERS:
            step.users.set(User.objects.filter(username__in=["pat.admin", "paul.admin"]))


def _page_queries(client: Client, request: Request, captured: Any) -> int:
    with captured() as queries:
        assert client.get(f"/requests/{request.pk}/").status_code == 200
    return len(queries)


def test_the_request_page_costs_the_same_queries_for_five_steps_or_nine(
    scientist: User, project: Project, notebook: Product, second_admin: User,
    django_assert_max_num_queries: Any,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(scientist)
    counts = []
    for steps in (5, 9):  # each with every kind of step still to come
        _rule_with_steps(steps)
        request = request_notebook(scientist, project, notebook, "ml.p3.2xlarge")
        assert len(_chain(request)) == steps
        counts.append(_page_queries(client, request,
                                    lambda: CaptureQueriesContext(connection)))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(40):
        client.get(f"/requests/{request.pk}/")
