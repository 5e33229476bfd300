from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from approvals.models import Request
from approvals.services import request_approve
from catalog.models import Product
from portal.models import Project, User
from tests.approvals.conftest import request_notebook, snapshot

pytestmark = pytest.mark.django_db


def _login(user: User, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def _form(project: Project, instance_type: str = "ml.p3.2xlarge", **extra: str) -> dict[str, str]:
    return {"req-project": project.slug, "req-justification": "Train on GPUs",
            "req-tag:data-classification": "confidential", "NotebookInstanceName": "dana-gpu",
            "InstanceType": instance_type, "VolumeSizeInGB": "50", **extra}


def test_the_form_shows_projects_parameters_tags_and_the_cost_estimate(
    scientist: User, project: Project, notebook: Product
) -> None:
    body = _login(scientist).get(f"/requests/new?product={notebook.pk}").content.decode()
    assert 'name="req-project"' in body and project.name in body
    assert 'name="InstanceType"' in body and 'name="NotebookInstanceName"' in body
    assert 'name="KmsKeyId"' not in body  # fixed by the platform team
    assert 'name="req-tag:data-classification"' in body
    assert 'id="estimate-text"' in body and "$36.50" in body
    assert "csrfmiddlewaretoken" in body


def test_submitting_the_form_creates_the_request_and_opens_its_page(
    demo_policies: None, scientist: User, manager: User, project: Project, notebook: Product,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _login(scientist).post(f"/requests/new?product={notebook.pk}", _form(project))
    created = Request.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/requests/{created.pk}/"
    assert created.parameters["InstanceType"] == "ml.p3.2xlarge"
    assert created.parameters["VolumeSizeInGB"] == "50"
    assert created.tag_choices == {"data-classification": "confidential"}
    assert any(m.to == [manager.email] for m in mail.outbox)


@pytest.mark.parametrize(("change", "message"), [
    ({"InstanceType": "ml.x99.huge"}, "Choose one of: ml.t3.medium"),
    ({"NotebookInstanceName": "bad name!"}, "Letters, digits and single hyphens"),
    ({"VolumeSizeInGB": "500"}, "Must be at most 100"),
    ({"req-justification": ""}, "This field is required"),
    ({"req-tag:data-classification": "public"}, "Select a valid choice"),
    ({"req-project": "credit-risk"}, "Select a valid choice"),
])
def test_bad_input_redisplays_the_form_with_the_error_and_changes_nothing(
    scientist: User, project: Project, other_project: Project, notebook: Product,
    change: dict[str, str], message: str,
) -> None:
    before = snapshot()
    response = _login(scientist).post(f"/requests/new?product={notebook.pk}",
                                      _form(project, **change))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


def test_a_product_the_user_may_not_see_is_a_404_on_the_form(
    scientist: User, project: Project, hidden_product: Product
) -> None:
    client = _login(scientist)
    assert client.get(f"/requests/new?product={hidden_product.pk}").status_code == 404
    assert client.post(f"/requests/new?product={hidden_product.pk}",
                       _form(project)).status_code == 404
    assert client.get("/requests/new?product=nonsense").status_code == 404
    assert Request.objects.count() == 0


def test_the_approver_page_shows_cost_against_budget_justification_history_and_timeline(
    gpu_request: Request, scientist: User, manager: User, project: Project, notebook: Product
) -> None:
    request_notebook(scientist, project, notebook, "ml.t3.medium")  # history: auto-approved
    body = _login(manager).get(f"/requests/{gpu_request.pk}/").content.decode()
    assert "$2792.25/month" in body and "$2000.00" in body and "139.6%" in body
    assert "Train the fraud model" in body
    assert 'id="history"' in body and "1 other request(s): 1 approved" in body
    assert "Requester&#x27;s manager" in body and "Maria Example" in body
    assert "request.created" in body and "approval.task_created" in body
    assert 'id="approve"' in body and 'id="reject"' in body
    assert "alias/ml-notebooks" in body  # every parameter, fixed ones too


def test_rejecting_without_a_comment_is_a_form_error_and_changes_nothing(
    gpu_request: Request, manager: User
) -> None:
    task = gpu_request.tasks.get()
    before = snapshot()
    response = _login(manager).post(f"/requests/tasks/{task.pk}/decide", {"verdict": "reject"})
    assert response.status_code == 400
    assert "a comment is required" in response.content.decode()
    assert snapshot() == before


def test_deciding_twice_shows_the_recorded_decision(gpu_request: Request, manager: User) -> None:
    """Issue 13: a double-clicked Approve lands on the request with the first decision, never
    on a 409 page, and decides nothing twice (tests/approvals/test_decision_repeated.py)."""
    task = gpu_request.tasks.get()
    client = _login(manager)
    assert client.post(f"/requests/tasks/{task.pk}/decide",
                       {"verdict": "approve"}).status_code == 302
    response = client.post(f"/requests/tasks/{task.pk}/decide", {"verdict": "approve"},
                           follow=True)
    assert response.status_code == 200
    assert "was already recorded: approved" in response.content.decode()


def test_approving_ones_own_request_is_refused_on_the_page(
    gpu_request: Request, scientist: User
) -> None:
    task = gpu_request.tasks.get()
    response = _login(scientist).post(f"/requests/tasks/{task.pk}/decide", {"verdict": "approve"})
    assert response.status_code == 403
    assert "You cannot decide your own request." in response.content.decode()


def test_bulk_approve_decides_every_selected_task(
    demo_policies: None, scientist: User, colleague: User, manager: User, platform_admin: User,
    project: Project, notebook: Product,
) -> None:
    first = request_notebook(scientist, project, notebook, "ml.p3.2xlarge")
    second = request_notebook(colleague, project, notebook, "ml.g4dn.xlarge")
    tasks = [first.tasks.get().pk, second.tasks.get().pk]
    response = _login(manager).post("/requests/inbox/approve",
                                    {"tasks": tasks, "comment": "fine"})
    assert response.status_code == 302
    for approval in (first, second):
        assert approval.tasks.get(position=0).status == "approved"
        assert approval.tasks.get(position=1).status == "pending"


def test_bulk_approve_with_nothing_selected_is_a_form_error(manager: User) -> None:
    response = _login(manager).post("/requests/inbox/approve", {})
    assert response.status_code == 400
    assert "Select at least one request." in response.content.decode()


@pytest.mark.parametrize("path", ["/requests/{req}/cancel", "/requests/tasks/{task}/decide",
                                  "/requests/inbox/approve", "/requests/new?product={product}"])
def test_every_post_needs_the_csrf_token(
    path: str, gpu_request: Request, scientist: User, manager: User
) -> None:
    task = gpu_request.tasks.get()
    url = path.format(req=gpu_request.pk, task=task.pk, product=gpu_request.product_id)
    before = snapshot()
    for user in (scientist, manager):
        response = _login(user, enforce_csrf_checks=True).post(
            url, {"verdict": "approve", "tasks": [task.pk]})
        assert response.status_code == 403
    assert snapshot() == before


def test_the_requester_sees_the_decision_on_the_timeline(
    gpu_request: Request, scientist: User, manager: User
) -> None:
    request_approve(task=gpu_request.tasks.get(), approver=manager, comment="Go ahead")
    body = _login(scientist).get(f"/requests/{gpu_request.pk}/").content.decode()
    assert "<span data-decider>Maria Example</span> <strong>approved</strong>: “Go ahead”" in body
    assert "Platform admin" in body and "group ml-platform-admins" in body
    assert 'id="cancel"' in body
    listing = _login(scientist).get("/requests/").content.decode()
    assert "Pending approval" in listing and f"/requests/{gpu_request.pk}/" in listing


def test_a_change_request_for_an_environment_keeps_its_action_and_environment(
    scientist: User, project: Project, notebook: Product, environment: Any
) -> None:
    client = _login(scientist)
    url = (f"/requests/new?product={notebook.pk}&project={project.slug}&action=update"
           f"&environment={environment.pk}")
    page = client.get(url).content.decode()
    assert 'id="day-2"' in page and str(environment.pk) in page
    assert client.post(url, _form(project, "ml.m5.xlarge")).status_code == 302
    created = Request.objects.get(action="update")
    assert created.environment_ref == str(environment.pk)


def test_an_unknown_action_in_the_link_is_refused_and_changes_nothing(
    scientist: User, project: Project, notebook: Product
) -> None:
    before = snapshot()
    response = _login(scientist).post(f"/requests/new?product={notebook.pk}&action=explode",
                                      _form(project))
    assert response.status_code == 400 and "Choose one of: create" in response.content.decode()
    assert snapshot() == before


def test_the_inbox_says_which_requests_change_or_terminate_an_environment(
    demo_policies: None, scientist: User, platform_admin: User, project: Project,
    notebook: Product, environment: Any,
) -> None:
    """An approver tells a change of a running environment from a new one at a glance (the demo's
    change request reached the platform admin's inbox looking like any new notebook)."""
    client = _login(scientist)
    url = (f"/requests/new?product={notebook.pk}&project={project.slug}&action=update"
           f"&environment={environment.pk}")
    assert client.post(url, _form(project, "ml.m5.xlarge")).status_code == 302
    created = request_notebook(scientist, project, notebook, "ml.m5.xlarge")  # new, same cost
    html = _login(platform_admin).get("/requests/inbox/").content.decode()
    change = Request.objects.get(action="update")
    rows = {r.pk: _row(html, f'data-request="{r.pk}"') for r in (change, created)}
    assert "Change an environment" in rows[change.pk]
    assert "Create a new environment" in rows[created.pk]


def _row(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start:html.index("</tr>", start)]
