"""Inbox, my requests and the API lists run the same number of queries for 1 and 50 rows.

Each test checks the page and its API list on the same rows: reading changes none of them, and
the 50 requests through the real ``request_create`` are most of the file's CPU."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
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


class Lists:
    """One signed-in client per (path, api) for the user, kept for the whole test as each
    parametrized case used to keep its one client."""

    def __init__(self, user: User, paths: list[tuple[str, bool]]) -> None:
        self.clients = {path: (_signed_in(user, api=api), api) for path, api in paths}

    def counts(self) -> dict[str, int]:
        """The queries of one GET of each path."""
        return {path: _count(partial(client.get, path))
                for path, (client, _) in self.clients.items()}

    def shown(self, marker: str) -> dict[str, int]:
        """Rows of each: on a page, its ``marker`` attributes; in the API, its results."""
        shown = {}
        for path, (client, api) in self.clients.items():
            response = client.get(path)
            shown[path] = len(response.json()["results"]) if api else \
                response.content.decode().count(marker)
        return shown


INBOX = [("/requests/inbox/", False), ("/api/v1/inbox", True)]
MY_REQUESTS = [("/requests/", False), ("/api/v1/requests", True)]


def test_the_inbox_runs_a_constant_number_of_queries(
    manager: User, project: Project, notebook: Product
) -> None:
    lists = Lists(manager, INBOX)
    _requests(1, project=project, product=notebook, manager=manager)
    one = lists.counts()
    _requests(49, project=project, product=notebook, manager=manager)
    assert lists.counts() == one
    assert lists.shown('data-task="') == {path: 50 for path, _ in INBOX}


def test_my_requests_run_a_constant_number_of_queries(
    scientist: User, manager: User, project: Project, notebook: Product
) -> None:
    lists = Lists(scientist, MY_REQUESTS)
    _requests(1, project=project, product=notebook, manager=manager)
    request_notebook(scientist, project, notebook)
    one = lists.counts()
    for _ in range(49):
        request_notebook(scientist, project, notebook)
    assert lists.counts() == one
    assert lists.shown('data-request="') == {path: 50 for path, _ in MY_REQUESTS}


def test_the_delegates_inbox_runs_a_constant_number_of_queries(
    manager: User, project: Project, notebook: Product
) -> None:
    from django.utils import timezone

    from approvals.models import ApprovalDelegation

    deputy = make_user("dave.deputy")
    today = timezone.localdate()
    ApprovalDelegation.objects.create(delegator=manager, delegate=deputy, starts_on=today,
                                      ends_on=today)
    lists = Lists(deputy, INBOX)
    _requests(1, project=project, product=notebook, manager=manager)
    one = lists.counts()
    _requests(49, project=project, product=notebook, manager=manager)
    assert lists.counts() == one
    assert lists.shown('data-on-behalf-of="') == {path: 50 for path, _ in INBOX}


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


def _rows_read(client: Any, url: str, *, starts: str) -> tuple[str, Any, int]:
    """The one rows statement (a join starting with ``starts``) of a second ``url`` page, the
    page and how many statements it ran (the first page made the session's first reads)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    rows = [q["sql"] for q in queries.captured_queries
            if q["sql"].startswith(starts) and "JOIN" in q["sql"]]
    assert len(rows) == 1, rows
    return rows[0], response, len(queries)


def test_my_requests_rows_query_reads_only_what_the_rows_show(
    scientist: User, manager: User, project: Project, notebook: Product
) -> None:
    _requests(1, project=project, product=notebook, manager=manager)
    request_notebook(scientist, project, notebook)  # pending: its next approver is read too
    rows, _, statements = _rows_read(_signed_in(scientist, api=False), "/requests/",
                                     starts='SELECT "approvals_request"."id"')
    for column in ('"approvals_request"."parameters"', '"approvals_request"."tag_choices"',
                   '"approvals_request"."justification"', '"portal_user"'):
        assert column not in rows
    assert '"approvals_request"."estimated_monthly_cost"' in rows
    # The session, the user, the rows (no count: the list ends on its page), the pending
    # one's tasks (4), the environments, the products offered, the menu's counts.
    assert statements == 10
    assert not any("COUNT(*) AS" in q for q in _statements_of(scientist, "/requests/"))


def _statements_of(user: User, url: str, *, api: bool = False) -> list[str]:
    client = _signed_in(user, api=api)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize(("path", "api"), [("/requests/", False), ("/api/v1/requests", True)])
def test_my_requests_are_counted_only_when_they_go_past_the_page(
    path: str, api: bool, scientist: User, project: Project, notebook: Product
) -> None:
    from approvals.models import Request

    model = Request.objects.get(pk=request_notebook(scientist, project, notebook).pk)
    copied = {f.attname: getattr(model, f.attname) for f in Request._meta.concrete_fields
              if not f.primary_key and f.name != "number"}
    for i in range(49):  # copies, decided (no tasks to read), each numbered by save()
        Request.objects.create(**{**copied, "name": f"copy-{i}",
                                  "status": Request.Status.APPROVED, "idempotency_key": ""})
    counting = [s for s in _statements_of(scientist, path, api=api) if "COUNT(*) AS" in s]
    assert counting == []  # 50 requests: one page, the rows tell the count
    request_notebook(scientist, project, notebook)
    counting = [s for s in _statements_of(scientist, path, api=api) if "COUNT(*) AS" in s]
    assert len(counting) == 1 and '"approvals_request"' in counting[0]
    client = _signed_in(scientist, api=api)
    if api:
        body = client.get(path).json()
        assert (body["count"], body["pages"], len(body["results"])) == (51, 2, 50)
    else:
        text = client.get(path).content.decode()
        assert "Page 1 of 2" in text and text.count('data-request="') == 50


def test_the_inbox_rows_query_reads_only_what_the_rows_show(
    manager: User, project: Project, notebook: Product
) -> None:
    _requests(2, project=project, product=notebook, manager=manager)
    rows, response, statements = _rows_read(_signed_in(manager, api=False), "/requests/inbox/",
                                            starts='SELECT "approvals_approvaltask"."id",')
    assert response.content.decode().count('data-task="') == 2
    for column in ('"approvals_request"."parameters"', '"approvals_request"."tag_choices"',
                   '"approvals_request"."justification"', '"portal_user"."password"',
                   '"catalog_product"."description"'):
        assert column not in rows
    assert '"portal_user"."first_name"' in rows
    # The session, the user, the delegations, the open tasks' ids, the rows, the menu's counts.
    assert statements == 6


def test_the_api_list_of_my_requests_reads_only_what_its_rows_show(
    scientist: User, manager: User, project: Project, notebook: Product
) -> None:
    _requests(1, project=project, product=notebook, manager=manager)
    request_notebook(scientist, project, notebook)
    rows, _, _ = _rows_read(_signed_in(scientist, api=True), "/api/v1/requests",
                            starts='SELECT "approvals_request"."id"')
    for column in ('"approvals_request"."parameters"', '"approvals_request"."tag_choices"',
                   '"approvals_request"."justification"', '"portal_user"."password"',
                   '"portal_project"."aws_account_id"'):
        assert column not in rows
    assert '"portal_user"."username"' in rows and '"portal_project"."slug"' in rows
