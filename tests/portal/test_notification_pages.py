"""/notifications/: my notices, newest first, mark one or all read (POST with CSRF, audited)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from portal.models import AuditEvent, Notification, User
from portal.notifications import notify

pytestmark = pytest.mark.django_db


def _login(user: User, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def _notices(user: User, count: int, text: str = "Ready: notebook") -> list[Notification]:
    return [notify(recipients=[user], kind="environment", text=f"{text} {i}",
                   link=f"/environments/?n={i}")[0] for i in range(count)]


def test_the_page_lists_my_notices_newest_first_and_nobody_else_s(
        scientist: User, colleague: User) -> None:
    _notices(scientist, 2)
    _notices(colleague, 1, text="Colleague secret")
    body = _login(scientist).get("/notifications/").content.decode()
    assert body.index("Ready: notebook 1") < body.index("Ready: notebook 0")
    assert 'href="/environments/?n=1"' in body
    assert "Colleague secret" not in body
    assert body.count('class="unread"') == 2


def test_marking_one_read_changes_only_it_and_is_audited(scientist: User) -> None:
    first, second = _notices(scientist, 2)
    response = _login(scientist).post(f"/notifications/{first.pk}/read")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    event = AuditEvent.objects.get(action="notification.read")
    assert event.actor == scientist and event.data == {"count": 1, "all": False}


def test_someone_else_s_notice_is_a_404_and_stays_unread(scientist: User, colleague: User) -> None:
    (theirs,) = _notices(colleague, 1)
    assert _login(scientist).post(f"/notifications/{theirs.pk}/read").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert not AuditEvent.objects.filter(action="notification.read").exists()


def test_mark_all_read_marks_mine_only(scientist: User, colleague: User) -> None:
    _notices(scientist, 3)
    (theirs,) = _notices(colleague, 1)
    client = _login(scientist)
    response = client.post("/notifications/read", follow=True)
    assert "3 notification(s) marked read." in response.content.decode()
    assert not Notification.objects.filter(recipient=scientist, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "Nothing was unread." in client.post("/notifications/read", follow=True
                                                ).content.decode()
    assert AuditEvent.objects.filter(action="notification.read").count() == 1


def test_mark_read_needs_post_and_a_csrf_token(scientist: User) -> None:
    (notice,) = _notices(scientist, 1)
    assert _login(scientist).get(f"/notifications/{notice.pk}/read").status_code == 405
    strict = _login(scientist, enforce_csrf_checks=True)
    assert strict.post(f"/notifications/{notice.pk}/read").status_code == 403
    assert strict.post("/notifications/read").status_code == 403
    notice.refresh_from_db()
    assert notice.read_at is None


def test_anonymous_visitors_are_sent_to_sign_in(db: None) -> None:
    response = Client().get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Client().post("/notifications/read").status_code == 302


def test_the_page_runs_the_same_queries_for_one_and_fifty_notices(
        scientist: User, django_assert_max_num_queries: Any) -> None:
    client = _login(scientist)
    _notices(scientist, 1)
    client.get("/notifications/")  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get("/notifications/")
    _notices(scientist, 60)
    with django_assert_max_num_queries(len(one)):
        body = client.get("/notifications/").content.decode()
    assert body.count("data-notification=") == 50
    assert "Page 1 of 2" in body
