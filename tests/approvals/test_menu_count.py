"""The menu's count of what waits for me: open approval tasks + unread notifications, in one
query, refreshed by the /notifications/count fragment."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from approvals.models import Request
from approvals.services import request_approve
from config.navigation import waiting_for
from portal.models import Notification, User
from portal.notifications import notifications_mark_read

pytestmark = pytest.mark.django_db


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _badge(body: str) -> int:
    match = re.search(r'<span class="count" data-count="(\d+)">', body)
    return int(match.group(1)) if match else 0


def test_an_approver_counts_the_open_task_and_the_unread_notice_about_it(
        gpu_request: Any, manager: User) -> None:
    # Submitting the request told the manager ("Approval needed") and gave them a task.
    assert Notification.objects.filter(recipient=manager).count() == 1
    waiting = waiting_for(user=manager, approver=True)
    assert (waiting.tasks, waiting.unread, waiting.total) == (1, 1, 2)
    assert waiting.inbox_url == "/requests/inbox/"
    assert _badge(_login(manager).get("/").content.decode()) == 2

    notifications_mark_read(user=manager)
    assert _badge(_login(manager).get("/").content.decode()) == 1


def test_the_requester_counts_notices_but_not_the_task_of_their_own_request(
        gpu_request: Any, scientist: User) -> None:
    waiting = waiting_for(user=scientist, approver=True)
    assert (waiting.tasks, waiting.unread) == (0, 1)  # "Request submitted"


def test_deciding_the_task_takes_it_off_the_count(gpu_request: Any, manager: User) -> None:
    request_approve(task=gpu_request.tasks.get(position=0), approver=manager)
    assert waiting_for(user=manager, approver=True).tasks == 0


def test_both_counts_are_one_query(gpu_request: Any, manager: User,
                                   django_assert_num_queries: Any) -> None:
    # 1 for an approver too: both counts and whether they stand in for anyone today (issue 16:
    # the count without the delegation branch is half the Python and planning of the one with
    # it; asking whom they stand in for on its own was a second statement on every page).
    with django_assert_num_queries(1):
        assert waiting_for(user=manager, approver=True).total == 2
    with django_assert_num_queries(1):
        waiting_for(user=manager, approver=False)


def test_the_menu_costs_two_queries_at_most_and_a_fragment_without_menu_none(
        gpu_request: Any, manager: User, django_assert_max_num_queries: Any) -> None:
    client = _login(manager)
    client.get("/notifications/count")  # warm the session
    # session + user, then may_approve and the counts (the approver role skips may_approve's).
    with django_assert_max_num_queries(4):
        body = client.get("/notifications/count").content.decode()
    assert _badge(body) == 2
    assert 'hx-trigger="every 20s"' in body and 'id="menu-count"' in body


def test_the_count_fragment_is_a_401_for_anonymous_visitors_and_never_cached(
        manager: User) -> None:
    response = Client().get("/notifications/count")
    assert response.status_code == 401
    answer = _login(manager).get("/notifications/count")
    assert answer.status_code == 200 and "no-cache" in answer["Cache-Control"]
    assert _login(manager).post("/notifications/count").status_code == 405


def test_a_rejected_request_s_notice_counts_for_the_requester(
        gpu_request: Any, scientist: User, manager: User) -> None:
    from approvals.services import request_reject

    request_reject(task=gpu_request.tasks.get(position=0), approver=manager,
                   comment="Not this quarter.")
    assert Request.objects.get().status == Request.Status.REJECTED
    texts = list(Notification.objects.filter(recipient=scientist).values_list("text", flat=True))
    assert any(t.startswith(f"{gpu_request.reference}: Request rejected") for t in texts), texts
    assert waiting_for(user=scientist, approver=False).unread == len(texts) == 2


def test_a_task_naming_the_requester_never_counts_for_them(
        gpu_request: Any, scientist: User) -> None:
    """Four eyes even where a policy names the requester among a step's approvers."""
    gpu_request.tasks.get(position=0).eligible_approvers.add(scientist)
    assert waiting_for(user=scientist, approver=True).tasks == 0
    assert 'data-task="' not in _login(scientist).get("/requests/inbox/live").content.decode()


def _task_counts(queries: Any) -> tuple[int, int]:
    """Statements that count the approval tasks: (the inbox pager's, the badge's). The pager
    reads the ids of the open tasks (``inbox_page``), the badge counts them in SQL."""
    tasks = [q["sql"] for q in queries if "approvals_approvaltask_eligible_approvers" in q["sql"]]
    ids = re.compile(r'SELECT "approvals_approvaltask"\."id"( AS "pk")? FROM')
    return (sum(1 for sql in tasks if ids.match(sql)),
            sum(1 for sql in tasks if '"waiting_tasks"' in sql))


def test_the_inbox_page_counts_the_open_tasks_once_for_its_pager_and_the_badge(
        gpu_request: Any, manager: User) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _login(manager)
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/requests/inbox/").content.decode()
    assert _task_counts(queries.captured_queries) == (1, 0)
    assert _badge(body) == 2 and body.count('data-task="') == 1
    # Any other page asks the badge's own count.
    with CaptureQueriesContext(connection) as queries:
        assert _badge(client.get("/").content.decode()) == 2
    assert _task_counts(queries.captured_queries) == (0, 1)


def test_the_inbox_badge_shows_a_task_opened_since_the_last_page(
        gpu_request: Any, manager: User, scientist: User, project: Any, notebook: Any) -> None:
    from tests.approvals.conftest import request_notebook

    client = _login(manager)
    assert _badge(client.get("/requests/inbox/").content.decode()) == 2
    request_notebook(scientist, project, notebook, "ml.p3.2xlarge")
    body = client.get("/requests/inbox/").content.decode()
    assert body.count('data-task="') == 2 and _badge(body) == 4  # two tasks, two notices


def test_a_count_kept_for_someone_else_is_not_shown(gpu_request: Any, manager: User,
                                                   scientist: User) -> None:
    from approvals.inbox_count import inbox_count_keep, inbox_count_kept
    from portal.memo import memo_scope

    with memo_scope():  # as the inbox view runs
        inbox_count_keep(user=manager, count=7)
        assert inbox_count_kept(user=manager) == 7
        assert inbox_count_kept(user=scientist) is None
    assert inbox_count_kept(user=manager) is None  # the scope (the request) is over


def _badge_text(body: str) -> str:
    match = re.search(r'<span class="count" data-count="([0-9+]+)">([0-9+]+)</span>', body)
    assert match and match.group(1) == match.group(2), body
    return match.group(2)


def test_the_badge_counts_up_to_99_then_says_99_plus(scientist: User) -> None:
    """Issue 16: the frame's unread count reads at most 100 rows on every page; beyond 99 the
    badge says "99+" (true: the count is cut short, never wrong), exact up to 99."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def unread(n: int) -> None:
        Notification.objects.bulk_create(
            Notification(recipient=scientist, kind="test", text=f"notice {i}") for i in range(n))

    client = _login(scientist)
    unread(99)
    assert _badge_text(client.get("/notifications/count").content.decode()) == "99"
    unread(1)
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/notifications/count").content.decode()
    assert _badge_text(body) == "99+"
    assert 'aria-label="Notifications: 99+ waiting"' in body
    assert "99+ unread notification(s)" in body
    counts = [q["sql"] for q in queries.captured_queries if '"waiting_unread"' in q["sql"]]
    assert len(counts) == 1 and "LIMIT 100" in counts[0]
    unread(400)
    waiting = waiting_for(user=scientist, approver=False)
    assert (waiting.unread, waiting.unread_text, waiting.total_text) == (100, "99+", "99+")
    notifications_mark_read(user=scientist)
    assert _badge(client.get("/notifications/count").content.decode()) == 0
