"""Issue 16: audit lists cost what their page shows, not one query per row or the whole table."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal import views as portal_views
from portal.models import AuditEvent, Project, User
from portal.selectors import audit_events_for_user

pytestmark = pytest.mark.django_db

ADMIN_LIST = "/admin/portal/auditevent/"


def _events(*, actor: User, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        project = Project.objects.create(
            slug=f"scale-{n}", name=f"Scale project {n}", cost_center="CC-1001",
            environment="dev", aws_account_id="111111111111", aws_region="eu-west-1",
        ) if n % 2 else None
        AuditEvent.objects.create(action="project.changed", actor=actor,
                                  actor_username=actor.username, project=project,
                                  object_repr=f"event {n}")


def _queries(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_the_admin_changelist_has_no_query_per_row(client: Client,
                                                   platform_admin: User) -> None:
    client.force_login(platform_admin)
    _events(actor=platform_admin, count=2)
    few = _queries(client, ADMIN_LIST)
    _events(actor=platform_admin, count=30, start=2)
    many = _queries(client, ADMIN_LIST)
    assert len(many) == len(few)
    assert not [sql for sql in many if 'FROM "portal_project"' in sql]
    page = client.get(ADMIN_LIST).content.decode()
    assert "Scale project 31" in page


def _at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


def test_the_date_filter_is_a_range_on_at_with_whole_days(auditor: User) -> None:
    for name, at in [("before", _at(1, 23, 59, 59)), ("first", _at(2, 0)),
                     ("last", _at(3, 23, 59, 59)), ("after", _at(4, 0))]:
        AuditEvent.objects.create(action=f"day.{name}", at=at)
    events = audit_events_for_user(user=auditor, since=date(2026, 3, 2),
                                   until=date(2026, 3, 3))
    assert sorted(e.action for e in events) == ["day.first", "day.last"]
    sql = str(events.query)
    assert '"portal_auditevent"."at" >=' in sql and '"portal_auditevent"."at" <' in sql
    assert "cast_date" not in sql.lower() and "::date" not in sql.lower()


def test_the_actor_filter_uses_the_upper_index_in_the_trails_order(auditor: User) -> None:
    AuditEvent.objects.create(action="auth.sign_in", actor_username="Dana.Scientist")
    AuditEvent.objects.create(action="auth.sign_in", actor_username="otto.outsider")
    events = audit_events_for_user(user=auditor, actor="dana.SCIENTIST")
    assert [e.actor_username for e in events] == ["Dana.Scientist"]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # a tiny table: make the planner show its choice
                cursor.execute("SET LOCAL enable_seqscan = off")
        plan = events.explain()
    assert "portal_audit_actor_at" in plan
    if connection.vendor == "postgresql":  # the page: read off the index in order, no sort
        with transaction.atomic():
            with connection.cursor() as cursor:  # (a tiny table: the index, or a scan)
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("SET LOCAL enable_bitmapscan = off")
            page_plan = events.all()[:51].explain()
        assert "Index Scan Backward using portal_audit_actor_at" in page_plan, page_plan
        assert "Sort" not in page_plan, page_plan


def test_the_count_is_capped_and_pages_go_by_cursor_without_offset(
    client: Client, auditor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(portal_views, "AUDIT_PAGE_SIZE", 5)
    monkeypatch.setattr(portal_views, "AUDIT_PAGE_CAP", 2)
    for n in range(23):
        AuditEvent.objects.create(action="bulk.event", object_repr=f"event {n}")
    client.force_login(auditor)
    first = _queries(client, "/audit/?action=bulk.")
    counts = [sql for sql in first if "COUNT(" in sql.upper() and "portal_auditevent" in sql]
    assert len(counts) == 1 and "LIMIT 11" in counts[0].upper()
    page = client.get("/audit/?action=bulk.")
    assert "More than 10 events" in page.content.decode()
    seen, cursor = [], None
    while True:  # walk every page by its Older link: no OFFSET, each row once
        url = "/audit/?action=bulk." + (f"&older={cursor}" if cursor else "")
        queries = _queries(client, url)
        assert not [sql for sql in queries if "OFFSET" in sql.upper()]
        shown = client.get(url).context["page"]
        seen += [e.object_repr for e in shown]
        if shown.older is None:
            break
        cursor = shown.older
    assert seen == [f"event {n}" for n in reversed(range(23))]


def test_the_admin_changelist_never_reads_the_whole_trail(
        client: Client, platform_admin: User, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16: no exact COUNT(*) of the table, no SELECT DISTINCT action for the filter."""
    monkeypatch.setattr("portal.admin.AUDIT_PAGE_CAP", 1)
    client.force_login(platform_admin)
    for n in range(105):
        AuditEvent.objects.create(action="bulk.event", object_repr=f"event {n}")
    queries = [sql.upper() for sql in _queries(client, ADMIN_LIST)]
    trail = [sql for sql in queries if "PORTAL_AUDITEVENT" in sql]
    assert not [sql for sql in trail if "DISTINCT" in sql]
    counts = [sql for sql in trail if "COUNT(" in sql]
    assert len(counts) == 1 and "LIMIT 101" in counts[0]
    page = client.get(ADMIN_LIST).content.decode()
    assert "100+ audit events" in page
    filtered = client.get(ADMIN_LIST + "?action=bulk.event").content.decode()
    assert "event 104" in filtered and "100+ audit events" in filtered
    assert "event 104" not in client.get(ADMIN_LIST + "?action=auth.sign_in").content.decode()
