"""The request page and the inbox update without a reload: their live fragments are scoped like
the pages, cheap, and stop asking to be polled once the request is final."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from approvals.models import Request
from approvals.services import request_approve, request_reject
from catalog.models import Product
from portal.models import Project, User
from tests.approvals.conftest import request_notebook

pytestmark = pytest.mark.django_db


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _live(client: Client, request: Request) -> str:
    response = client.get(f"/requests/{request.pk}/live")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    return response.content.decode()


def _polls(body: str, request: Request) -> bool:
    return f'hx-get="/requests/{request.pk}/live" hx-trigger="every 3s"' in body


def test_a_pending_request_s_page_and_fragment_keep_polling(
        gpu_request: Request, scientist: User) -> None:
    client = _login(scientist)
    page = client.get(f"/requests/{gpu_request.pk}/").content.decode()
    assert _polls(page, gpu_request)
    body = _live(client, gpu_request)
    assert _polls(body, gpu_request)
    assert '<p id="request-state" hx-swap-oob="true">' in body and "Pending approval" in body
    assert "Requester&#x27;s manager" in body or "Requester's manager" in body
    # The requester has nothing to decide (the form goes), but may still cancel.
    assert '<section id="decision" hx-swap-oob="delete">' in body
    assert 'id="cancel-form" hx-swap-oob="delete"' not in body


def test_the_approver_s_decision_form_stays_while_they_may_decide(
        gpu_request: Request, manager: User) -> None:
    body = _live(_login(manager), gpu_request)
    assert 'id="decision" hx-swap-oob="delete"' not in body
    assert 'id="cancel-form" hx-swap-oob="delete"' in body


def test_a_decision_shows_in_the_fragment_and_a_rejection_ends_the_polling(
        gpu_request: Request, scientist: User, manager: User) -> None:
    client = _login(scientist)
    request_reject(task=gpu_request.tasks.get(position=0), approver=manager,
                   comment="Not this quarter.")
    body = _live(client, gpu_request)
    assert "Rejected" in body and "Not this quarter." in body
    assert not _polls(body, gpu_request) and 'data-live="off"' in body
    assert 'id="cancel-form" hx-swap-oob="delete"' in body
    assert not _polls(client.get(f"/requests/{gpu_request.pk}/").content.decode(), gpu_request)


def test_an_approved_request_polls_until_it_is_handed_to_provisioning(
        gpu_request: Request, scientist: User, manager: User, platform_admin: User) -> None:
    request_approve(task=gpu_request.tasks.get(position=0), approver=manager)
    request_approve(task=gpu_request.tasks.get(position=1), approver=platform_admin)
    gpu_request.refresh_from_db()
    assert gpu_request.status == Request.Status.APPROVED
    Request.objects.filter(pk=gpu_request.pk).update(handed_off_at=None)
    client = _login(scientist)
    assert _polls(_live(client, gpu_request), gpu_request)
    Request.objects.filter(pk=gpu_request.pk).update(handed_off_at="2026-12-01T10:00:00Z")
    body = _live(client, gpu_request)
    assert not _polls(body, gpu_request) and "handed to provisioning" in body


def test_the_fragment_is_out_of_scope_for_an_outsider_and_401_for_anonymous(
        gpu_request: Request, outsider: User) -> None:
    assert _login(outsider).get(f"/requests/{gpu_request.pk}/live").status_code == 404
    anonymous = Client().get(f"/requests/{gpu_request.pk}/live")
    assert anonymous.status_code == 401 and "Location" not in anonymous
    assert _login(outsider).post(f"/requests/{gpu_request.pk}/live").status_code == 405


def test_the_request_fragment_costs_the_same_with_more_decisions(
        gpu_request: Request, scientist: User, manager: User, platform_admin: User,
        django_assert_max_num_queries: Any) -> None:
    client = _login(scientist)
    _live(client, gpu_request)
    with CaptureQueriesContext(connection) as pending:
        _live(client, gpu_request)
    request_approve(task=gpu_request.tasks.get(position=0), approver=manager, comment="ok")
    request_approve(task=gpu_request.tasks.get(position=1), approver=platform_admin)
    with django_assert_max_num_queries(len(pending)):
        body = _live(client, gpu_request)
    assert "Maria Example" in body and "Pat Example" in body
    # the request, its tasks and decisions, the whole chain (who decides each step to come),
    # the audit events, the menu: none grows with the decisions
    assert len(pending) <= 17


def test_the_inbox_fragment_shows_a_new_task_and_keeps_ticked_boxes(
        gpu_request: Request, manager: User, colleague: User, project: Project,
        notebook: Product) -> None:
    client = _login(manager)
    page = client.get("/requests/inbox/").content.decode()
    assert 'hx-get="/requests/inbox/live?page=1" hx-trigger="every 20s"' in page
    first = client.get("/requests/inbox/live").content.decode()
    assert first.count('data-task="') == 1 and 'hx-preserve="true"' in first
    request_notebook(colleague, project, notebook, "ml.p3.2xlarge")
    second = client.get("/requests/inbox/live").content.decode()
    assert second.count('data-task="') == 2 and "Carl Example" in second
    assert 'hx-trigger="every 20s"' in second  # an inbox is never final


def test_the_inbox_fragment_holds_only_what_waits_for_me(
        gpu_request: Request, scientist: User, outsider: User) -> None:
    for person in (scientist, outsider):  # the requester, and someone of another project
        body = _login(person).get("/requests/inbox/live").content.decode()
        assert 'data-task="' not in body and "Nothing waits for you." in body
    assert Client().get("/requests/inbox/live").status_code == 401


def test_the_inbox_fragment_runs_the_same_queries_for_one_and_many_tasks(
        gpu_request: Request, manager: User, project: Project, notebook: Product,
        django_assert_max_num_queries: Any) -> None:
    from tests.conftest import make_user

    client = _login(manager)
    client.get("/requests/inbox/live")
    with CaptureQueriesContext(connection) as one:
        client.get("/requests/inbox/live")
    for i in range(5):
        requester = make_user(f"req.live.{i}", manager=manager)
        project.memberships.create(user=requester)
        request_notebook(requester, project, notebook, "ml.p3.2xlarge")
    with django_assert_max_num_queries(len(one)):
        body = client.get("/requests/inbox/live").content.decode()
    assert body.count('data-task="') == 6
