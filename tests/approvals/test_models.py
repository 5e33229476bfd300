from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError

from approvals.models import (
    ApprovalPolicy,
    ApprovalRule,
    ApprovalStep,
    ApprovalTask,
    Decision,
    Request,
)
from catalog.models import Product
from portal.models import Project, User

pytestmark = pytest.mark.django_db


def _request(scientist: User, project: Project, product: Product) -> Request:
    return Request.objects.create(
        requester=scientist, project=project, product=product,
        version=product.versions.get(name="v1"), justification="Fraud model training",
    )


def test_a_new_request_is_pending_with_a_uuid_and_no_environment(
    scientist: User, project: Project, notebook: Product
) -> None:
    request = _request(scientist, project, notebook)
    assert request.status == Request.Status.PENDING
    assert request.action == Request.Action.CREATE
    assert request.environment_ref is None and request.handed_off_at is None
    assert len(str(request.pk)) == 36


def test_an_approver_decides_a_task_only_once(
    scientist: User, manager: User, project: Project, notebook: Product
) -> None:
    task = ApprovalTask.objects.create(request=_request(scientist, project, notebook),
                                       name="Manager")
    Decision.objects.create(task=task, approver=manager, verdict=Decision.Verdict.APPROVE)
    with pytest.raises(IntegrityError):
        Decision.objects.create(task=task, approver=manager, verdict=Decision.Verdict.REJECT)


def test_policy_rules_and_steps_keep_their_order(db: None) -> None:
    policy = ApprovalPolicy.objects.create(name="P")
    second = ApprovalRule.objects.create(policy=policy, name="second", position=2)
    first = ApprovalRule.objects.create(policy=policy, name="first", position=1)
    ApprovalStep.objects.create(rule=first, name="b", position=1, approvers="group",
                                remind_after=timedelta(days=1))
    ApprovalStep.objects.create(rule=first, name="a", position=0, approvers="manager")
    assert list(policy.rules.order_by("position")) == [first, second]
    assert [s.name for s in first.steps.order_by("position")] == ["a", "b"]
