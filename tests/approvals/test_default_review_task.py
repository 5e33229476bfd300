"""A request no rule matches goes to the default group review: four eyes across steps on (only a
rule's policy may turn it off), and its opening is audited with the step, count and approvers."""

from __future__ import annotations

from typing import Any

import pytest

from approvals.models import ApprovalTask
from approvals.services import request_create
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from tests.approvals.conftest import notebook_values

pytestmark = pytest.mark.django_db


def test_the_default_review_task_keeps_step_approvers_distinct(
        scientist: User, project: Project, notebook: Product, settings: Any) -> None:
    settings.PORTAL_APPROVAL_DEFAULT = "group:ml-platform-admins"
    request = request_create(
        requester=scientist, project_slug=project.slug, product_id=notebook.pk,
        parameters=notebook_values(), tag_choices={"data-classification": "internal"},
        justification="Feature engineering for the fraud model.")
    assert request.matched_rule is None
    task = ApprovalTask.objects.get(request=request)
    assert task.distinct_step_approvers is True
    opened = AuditEvent.objects.get(action="approval.task_created")
    assert {k: opened.data[k] for k in ("task", "step", "required_approvals", "excluded")} == {
        "task": task.pk, "step": "Platform review", "required_approvals": 1, "excluded": []}
    assert "ml-platform-admins" in opened.data["groups"] and opened.data["approvers"] == []
