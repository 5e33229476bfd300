"""The audit trail's rows written in one pass are the rows its template wrote (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.template import engines
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.audit_rows import audit_rows
from portal.models import AuditEvent, Project, User

pytestmark = pytest.mark.django_db

# The template's loop before issue 16: the reference the one-pass rows are held to.
TEMPLATE_ROWS = engines["django"].from_string(
    "{% load portal_json %}{% for e in events %}"
    '<tr data-event="{{ e.pk }}"><td>{{ e.at|date:"Y-m-d H:i:s" }}</td>'
    '<td>{{ e.actor_username|default:"—" }}</td><td><code>{{ e.action }}</code></td>'
    '<td><span class="clip" title="{{ e.object_repr }}">{{ e.object_repr }}</span></td>'
    '<td>{{ e.project.slug|default:"" }}</td><td>{{ e.source_ip|default:"" }}</td>'
    '<td class="details">{% if e.data %}<details><summary><code>{{ e.data|json_line }}'
    '</code></summary><pre class="json">{{ e.data|json_pretty }}</pre></details>'
    '{% else %}<span class="muted">—</span>{% endif %}</td></tr>'
    "{% if not forloop.last %}\n{% endif %}"
    '{% empty %}<tr><td colspan="7" class="muted">No events match.</td></tr>{% endfor %}')


def _events(project: Project, auditor: User) -> list[AuditEvent]:
    AuditEvent.objects.create(action="auth.sign_in", actor=auditor,
                              actor_username=auditor.username, source_ip="10.1.2.3",
                              at=datetime(2026, 3, 1, 23, 59, 58, tzinfo=UTC))
    AuditEvent.objects.create(action="project.changed", project=project,
                              object_repr="<script>alert('x')</script> & \"co\"",
                              data={"b": [1, "<i>"], "a": {"é": None}, "when": "2026"})
    AuditEvent.objects.create(action="odd.<event>", actor_username="", source_ip="::1",
                              data={})
    return list(AuditEvent.objects.select_related("project").order_by("-at", "-id"))


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
def test_the_rows_are_the_markup_the_template_wrote(project: Project, auditor: User,
                                                    zone: str) -> None:
    events = _events(project, auditor)
    with timezone.override(zone):
        expected = TEMPLATE_ROWS.render({"events": events})
        assert str(audit_rows(events)) == expected
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;co&quot;" in expected
    assert "&lt;i&gt;" in expected and "—" in expected


def test_no_events_is_one_row_that_says_so() -> None:
    assert str(audit_rows([])) == TEMPLATE_ROWS.render({"events": []})


def test_the_audit_page_shows_the_rows_escaped(client: Client, project: Project,
                                              auditor: User) -> None:
    _events(project, auditor)
    client.force_login(auditor)
    page = client.get("/audit/").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert f"<td>{project.slug}</td>" in page and "<td>10.1.2.3</td>" in page


@pytest.mark.parametrize("count", [1, 60])
def test_the_audit_page_runs_a_constant_number_of_queries(client: Client, auditor: User,
                                                          count: int) -> None:
    for n in range(count):
        project = Project.objects.create(
            slug=f"rows-{n}", name=f"Rows {n}", cost_center="CC-1001", environment="dev",
            aws_account_id="111111111111", aws_region="eu-west-1")
        AuditEvent.objects.create(action="project.changed", actor=auditor,
                                  actor_username=auditor.username, project=project,
                                  object_repr=f"event {n}", data={"n": n})
    client.force_login(auditor)
    client.get("/audit/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/audit/?actor={auditor.username.upper()}")
    assert response.status_code == 200
    matching = AuditEvent.objects.filter(actor_username=auditor.username).count()  # + sign-in
    assert matching == count + 1
    assert response.content.decode().count("<tr data-event=") == min(matching, 50)
    assert f"{matching} events" in response.content.decode()
    # session, user, the page's rows (with their projects), the menu's count of what waits;
    # the count of matching rows only when the page is full (fewer rows are the count).
    assert len(queries) == (4 if matching <= 50 else 5), [
        q["sql"] for q in queries.captured_queries]
