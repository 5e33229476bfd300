"""Auto-approvals are audited with the policy as the actor, never the requester, so a
segregation-of-duties query on the audit export finds no false self-approvals."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.test import Client

from approvals.models import Request
from approvals.services import request_approve
from catalog.models import Product
from portal.models import Project, User
from tests.approvals.conftest import request_notebook

pytestmark = pytest.mark.django_db
# The events that say someone approved: a decision on a step, or the request's approval.
APPROVALS = {"approval.decided", "request.approved"}


def _export(auditor: User) -> list[dict[str, str]]:
    client = Client()
    client.force_login(auditor)
    response = client.get("/audit/export.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.usefixtures("demo_policies")
def test_no_approval_in_the_export_has_the_requester_as_actor(
    scientist: User, manager: User, platform_admin: User, auditor: User, project: Project,
    notebook: Product, settings: Any
) -> None:
    auto = request_notebook(scientist, project, notebook, "ml.t3.medium")  # CPU rule: at once
    settings.PORTAL_APPROVAL_DEFAULT = "auto"
    default_auto = request_notebook(scientist, project, notebook, "ml.m5.4xlarge")  # no rule
    gpu = request_notebook(scientist, project, notebook, "ml.p3.2xlarge")
    request_approve(task=gpu.tasks.get(), approver=manager, comment="ok")
    request_approve(task=gpu.tasks.get(position=1), approver=platform_admin, comment="ok")
    for request in (auto, default_auto, gpu):
        request.refresh_from_db()
        assert request.status == Request.Status.APPROVED

    rows = _export(auditor)
    requesters = {str(r.pk): r.requester.username for r in Request.objects.all()}
    approvals = [r for r in rows if r["action"] in APPROVALS and r["object_id"] in requesters]

    assert len(approvals) == 5, approvals  # 2 auto-approvals, 2 decisions, 1 approval by steps
    self_approved = [r for r in approvals if r["actor"] == requesters[r["object_id"]]
                     or r["actor_id"] == str(scientist.pk)]
    assert self_approved == []
    by_policy = {r["object_id"]: r["actor"] for r in approvals if not r["actor_id"]}
    assert by_policy == {
        str(auto.pk): "policy:Demo: SageMaker environments / rule:CPU notebooks under $150/month",
        str(default_auto.pk): "default:auto"}
    data = json.loads(next(r["data"] for r in approvals if r["object_id"] == str(auto.pk)))
    assert data["how"] == "rule"
