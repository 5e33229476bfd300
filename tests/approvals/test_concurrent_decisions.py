"""Two approvers deciding one task at the same moment: exactly one decision counts.

Runs with real transactions and one connection per thread, on SQLite (which serialises writers
with BEGIN IMMEDIATE) and on PostgreSQL (row locks with SELECT … FOR UPDATE).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from approvals.errors import AlreadyDecided
from approvals.models import ApprovalPolicy, ApprovalRule, ApprovalStep, ApprovalTask, Decision
from approvals.services import request_approve, request_reject
from catalog.models import Product
from portal.models import Project, User
from tests.approvals.conftest import request_notebook
from tests.conftest import make_user


def _race(task: ApprovalTask, deciders: list[tuple[User, str]]) -> list[Any]:
    barrier = threading.Barrier(len(deciders))
    outcomes: list[Any] = [None] * len(deciders)

    def decide(index: int, user: User, verdict: str) -> None:
        try:
            barrier.wait(timeout=10)
            if verdict == "approve":
                outcomes[index] = request_approve(task=task, approver=user)
            else:
                outcomes[index] = request_reject(task=task, approver=user, comment="no")
        except Exception as exc:  # recorded and asserted below
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(i, u, v))
               for i, (u, v) in enumerate(deciders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.fixture
def two_approver_task(scientist: User, project: Project, notebook: Product) -> ApprovalTask:
    group = Group.objects.create(name="pair")
    for username in ("ann.approver", "ben.approver"):
        make_user(username).groups.add(group)
    rule = ApprovalRule.objects.create(policy=ApprovalPolicy.objects.create(name="Pair"),
                                       name="Any notebook")
    ApprovalStep.objects.create(rule=rule, name="One of the pair", approvers="group",
                                group=group)
    return request_notebook(scientist, project, notebook).tasks.get()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("verdicts", [("approve", "approve"), ("approve", "reject")])
def test_two_approvers_at_once_exactly_one_decision_counts(
    two_approver_task: ApprovalTask, verdicts: tuple[str, str]
) -> None:
    ann, ben = User.objects.get(username="ann.approver"), User.objects.get(username="ben.approver")
    outcomes = _race(two_approver_task, [(ann, verdicts[0]), (ben, verdicts[1])])
    won = [o for o in outcomes if isinstance(o, Decision)]
    lost = [o for o in outcomes if not isinstance(o, Decision)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert isinstance(lost[0], AlreadyDecided)
    assert Decision.objects.filter(task=two_approver_task).count() == 1
    two_approver_task.refresh_from_db()
    request = two_approver_task.request
    expected = "approved" if won[0].verdict == "approve" else "rejected"
    assert two_approver_task.status == expected and request.status == expected
