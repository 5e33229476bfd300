"""The inbox shows each change request's plan preview in a compact line: counts per kind of
change, a replacement marked in red and in words, read for the whole page at once."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from approvals.change_preview import ChangePreview, ResourceChangeRow
from approvals.models import ApprovalPolicy, ApprovalRule, ApprovalStep, Request
from catalog.models import Product
from portal.models import Project, User
from provisioning.models import ResourcePlan
from tests.approvals.conftest import make_environment, request_notebook
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

CHANGES = [
    {"Action": "MODIFY", "LogicalResourceId": "NotebookInstance",
     "ResourceType": "AWS::SageMaker::NotebookInstance", "Replacement": "TRUE",
     "Properties": ["NotebookInstanceName"]},
    {"Action": "MODIFY", "LogicalResourceId": "Role", "ResourceType": "AWS::IAM::Role",
     "Replacement": "FALSE"},
    {"Action": "MODIFY", "LogicalResourceId": "Lifecycle",
     "ResourceType": "AWS::SageMaker::NotebookInstanceLifecycleConfig", "Replacement": "FALSE"},
]


def _change_requests(count: int, *, project: Project, product: Product, manager: User,
                     action: str = Request.Action.UPDATE) -> list[Request]:
    """``count`` pending change requests waiting for ``manager``, each with a ready plan."""
    rule = ApprovalRule.objects.get_or_create(
        policy=ApprovalPolicy.objects.get_or_create(name="Manager")[0], name="Manager")[0]
    ApprovalStep.objects.get_or_create(rule=rule, name="Manager", approvers="manager")
    made = []
    for _ in range(count):
        requester = make_user(f"req.{Request.objects.count()}", manager=manager)
        project.memberships.create(user=requester)
        request = request_notebook(requester, project, product)
        environment = make_environment(requester, project, product)
        Request.objects.filter(pk=request.pk).update(action=action,
                                                     environment_ref=str(environment.pk))
        if action == Request.Action.UPDATE:
            ResourcePlan.objects.create(request=request, environment=environment,
                                        state=ResourcePlan.State.READY, plan_id="pp-1",
                                        changes=CHANGES)
        made.append(request)
    return made


def _inbox(client: Client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/requests/inbox/")
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_a_change_request_row_counts_the_changes_and_marks_the_replacement_in_words(
    manager: User, project: Project, notebook: Product
) -> None:
    _change_requests(1, project=project, product=notebook, manager=manager)
    client = Client()
    client.force_login(manager)
    body, _ = _inbox(client)
    assert ('2 modified · <span class="change-summary-destructive">1 replaced (data loss)'
            '</span>') in body


def test_a_terminate_request_row_says_everything_is_removed(
    manager: User, project: Project, notebook: Product
) -> None:
    _change_requests(1, project=project, product=notebook, manager=manager,
                     action=Request.Action.TERMINATE)
    client = Client()
    client.force_login(manager)
    body, _ = _inbox(client)
    # The environment has a provisioned product and nothing else the portal knows of.
    assert '<span class="change-summary-destructive">1 removed</span>' in body


def test_a_new_environment_request_row_has_no_preview(
    manager: User, project: Project, notebook: Product
) -> None:
    rule = ApprovalRule.objects.get_or_create(
        policy=ApprovalPolicy.objects.get_or_create(name="Manager")[0], name="Manager")[0]
    ApprovalStep.objects.get_or_create(rule=rule, name="Manager", approvers="manager")
    requester = make_user("req.new", manager=manager)
    project.memberships.create(user=requester)
    request_notebook(requester, project, notebook)
    client = Client()
    client.force_login(manager)
    body, _ = _inbox(client)
    assert 'data-task="' in body and "data-change-summary" not in body


@pytest.mark.parametrize("action", [Request.Action.UPDATE, Request.Action.TERMINATE])
def test_the_inbox_with_previews_runs_as_many_queries_for_1_and_20_rows(
    action: str, manager: User, project: Project, notebook: Product
) -> None:
    client = Client()
    client.force_login(manager)
    _change_requests(1, project=project, product=notebook, manager=manager, action=action)
    body, one = _inbox(client)
    assert body.count("data-change-summary") == 1
    _change_requests(19, project=project, product=notebook, manager=manager, action=action)
    body, twenty = _inbox(client)
    assert body.count("data-change-summary") == 20
    assert one == twenty


def test_the_live_inbox_shows_the_previews_too(
    manager: User, project: Project, notebook: Product
) -> None:
    _change_requests(2, project=project, product=notebook, manager=manager)
    client = Client()
    client.force_login(manager)
    response = client.get("/requests/inbox/live", HTTP_HX_REQUEST="true")
    assert response.content.decode().count("1 replaced (data loss)") == 2


@pytest.mark.parametrize(("preview", "words"), [
    (ChangePreview(state="pending"), [("preview being prepared", False)]),
    (ChangePreview(state="failed", message="x"), [("preview failed", True)]),
    (ChangePreview(state="ready"), [("no resource changes", False)]),
    (ChangePreview(state="ready", rows=(
        ResourceChangeRow(action="ADD", logical_id="a", resource_type="t"),
        ResourceChangeRow(action="MODIFY", logical_id="b", resource_type="t",
                          replacement="CONDITIONAL"),
        ResourceChangeRow(action="REMOVE", logical_id="c", resource_type="t"),
    )), [("1 added", False), ("1 may be replaced (data loss possible)", True),
         ("1 removed", True)]),
])
def test_the_summary_says_each_kind_of_change_in_words(preview: ChangePreview,
                                                        words: list[Any]) -> None:
    assert [(p.text, p.destructive) for p in preview.summary] == words
