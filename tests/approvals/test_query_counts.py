"""Inbox, my requests and the API lists run the same number of queries for 1 and 50 rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from approvals.models import ApprovalPolicy, ApprovalRule, ApprovalStep
from catalog.models import Product
from portal.models import Project, User
from tests.approvals.conftest import request_notebook
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _requests(count: int, *, project: Project, product: Product, manager: User) -> User:
    """`count` pending requests from as many different requesters, all waiting for manager."""
    rule = ApprovalRule.objects.get_or_create(
        policy=ApprovalPolicy.objects.get_or_create(name="Manager")[0], name="Manager")[0]
    ApprovalStep.objects.get_or_create(rule=rule, name="Manager", approvers="manager")
    requester = None
    for i in range(count):
        requester = make_user(f"req.{count}.{i}", manager=manager)
        project.memberships.create(user=requester)
        request_notebook(requester, project, product)
    assert requester is not None
    return requester


def _count(fetch: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = fetch()
    assert response.status_code == 200
    return len(queries)


def _signed_in(user: User, *, api: bool) -> Client:
    """A client signed in as the user: DRF's for the API paths, Django's for the pages."""
    client: Client = APIClient() if api else Client()
    client.force_login(user)
    return client

@pytest.mark.parametrize(("path", "api"), [
    ("/requests/inbox/", False), ("/api/v1/inbox", True),
])
def test_the_inbox_runs_a_constant_number_of_queries(
    path: str, api: bool, manager: User, project: Project, notebook: Product
) -> None:
    client = _signed_in(manager, api=api)
    _requests(1, project=project, product=notebook, manager=manager)
    one = _count(lambda: client.get(path))
    _requests(49, project=project, product=notebook, manager=manager)
    fifty = _count(lambda: client.get(path))
    assert one == fifty
    response = client.get(path)
    shown = len(response.json()["results"]) if api else response.content.decode().count(
        'data-task="')
    assert shown == 50


@pytest.mark.parametrize(("path", "api"), [
    ("/requests/", False), ("/api/v1/requests", True),
])
def test_my_requests_run_a_constant_number_of_queries(
    path: str, api: bool, scientist: User, manager: User, project: Project, notebook: Product
) -> None:
    client = _signed_in(scientist, api=api)
    _requests(1, project=project, product=notebook, manager=manager)
    request_notebook(scientist, project, notebook)
    one = _count(lambda: client.get(path))
    for _ in range(49):
        request_notebook(scientist, project, notebook)
    fifty = _count(lambda: client.get(path))
    assert one == fifty
    response = client.get(path)
    shown = len(response.json()["results"]) if api else response.content.decode().count(
        'data-request="')
    assert shown == 50


@pytest.mark.parametrize(("path", "api"), [
    ("/requests/inbox/", False), ("/api/v1/inbox", True),
])
def test_the_delegates_inbox_runs_a_constant_number_of_queries(
    path: str, api: bool, manager: User, project: Project, notebook: Product
) -> None:
    from django.utils import timezone

    from approvals.models import ApprovalDelegation

    deputy = make_user("dave.deputy")
    today = timezone.localdate()
    ApprovalDelegation.objects.create(delegator=manager, delegate=deputy, starts_on=today,
                                      ends_on=today)
    client = _signed_in(deputy, api=api)
    _requests(1, project=project, product=notebook, manager=manager)
    one = _count(lambda: client.get(path))
    _requests(49, project=project, product=notebook, manager=manager)
    fifty = _count(lambda: client.get(path))
    assert one == fifty
    response = client.get(path)
    body = response.content.decode()
    shown = len(response.json()["results"]) if api else body.count('data-on-behalf-of="')
    assert shown == 50


@pytest.mark.parametrize(("path", "api"), [
    ("/requests/", False), ("/api/v1/requests", True),
])
def test_my_requests_read_tasks_only_for_a_page_with_pending_requests(
    path: str, api: bool, scientist: User, manager: User, project: Project, notebook: Product
) -> None:
    from approvals.models import Request

    client = _signed_in(scientist, api=api)
    _requests(1, project=project, product=notebook, manager=manager)
    for _ in range(3):
        request_notebook(scientist, project, notebook)

    def tasks_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return sum('FROM "approvals_approvaltask"' in q["sql"] for q in queries)

    assert Request.objects.filter(requester=scientist, status="pending").count() == 3
    assert tasks_queries() == 1
    Request.objects.filter(requester=scientist).update(status="approved")
    assert tasks_queries() == 0
