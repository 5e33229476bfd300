"""My environments reads its rows once for the list and its month-to-date figure (issue 16),
in a constant number of queries, and writes its rows (and the admin list's) escaped."""
# ruff: noqa: F811 - the fixtures imported from tests.approvals.conftest are arguments here

from __future__ import annotations

import re
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.models import Request
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from provisioning import metering
from provisioning.models import Environment
from provisioning.views import environment_json
from tests.approvals.conftest import (  # noqa: F401 - fixtures
    make_environment,
    notebook,
    prices,
    sent_tasks,
)


def _ran(env: Environment, *, start: timezone.datetime, hours: int, terminated: bool) -> None:
    """The environment ran ``hours`` from ``start`` (then was terminated, if so)."""
    Environment.objects.filter(pk=env.pk).update(
        created_at=start, parameters={"InstanceType": "ml.m5.xlarge"})
    AuditEvent(action="environment.status_changed", object_type="provisioning.environment",
               object_id=str(env.pk), data={"to": "available"}, at=start).save()
    if terminated:
        end = start + timedelta(hours=hours)
        AuditEvent(action="environment.status_changed", object_type="provisioning.environment",
                   object_id=str(env.pk), data={"to": "terminated"}, at=end).save()
        Environment.objects.filter(pk=env.pk).update(status="terminated", terminated_at=end)


def _get(client: Client, path: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def _figure(body: str) -> str:
    found = re.search(r"cost <strong>\$([0-9.,]+)</strong> this month", body)
    assert found, body
    return found.group(1)


def test_the_list_and_its_month_to_date_take_constant_queries_and_agree_with_metering(
        client: Client, scientist: User, colleague: User, project: Project,
        notebook: Product) -> None:
    now = timezone.now()
    start = metering.month_start(now)
    running = make_environment(scientist, project, notebook)
    _ran(running, start=start, hours=0, terminated=False)
    # Terminated this month (metered, not listed) and last month (neither).
    this_month = make_environment(scientist, project, notebook)
    _ran(this_month, start=start, hours=1, terminated=True)
    last_month = make_environment(scientist, project, notebook)
    _ran(last_month, start=start - timedelta(days=40), hours=5, terminated=True)
    make_environment(colleague, project, notebook)  # not mine
    client.force_login(scientist)

    few, body = _get(client, "/environments/")
    assert body.count("data-environment=") == 1 and str(running.pk) in body
    expected = metering.user_month_to_date(scientist, timezone.now())
    assert expected > 0
    # The page meters a moment earlier than the reference call: the same figure to the cent
    # within the running notebook's seconds (0.23 USD an hour).
    assert abs(float(_figure(body)) - float(expected)) <= 0.01

    for _ in range(14):
        make_environment(scientist, project, notebook)
    many, body = _get(client, "/environments/")
    assert body.count("data-environment=") == 15
    assert many == few

    shown, all_body = _get(client, "/environments/?terminated=show")
    assert all_body.count("data-environment=") == 17
    assert str(last_month.pk) in all_body and str(this_month.pk) in all_body
    assert abs(float(_figure(all_body)) - float(_figure(body))) <= 0.01


def test_the_rows_are_escaped_and_say_what_the_environment_offers(
        client: Client, scientist: User, platform_admin: User, project: Project,
        notebook: Product) -> None:
    env = make_environment(scientist, project, notebook, status="queued")
    Request.objects.filter(pk=env.origin_request_id).update(name="<b>mine</b>")
    Environment.objects.filter(pk=env.pk).update(status_message="<i>waiting</i>")
    client.force_login(scientist)
    body = client.get("/environments/").content.decode()
    assert "<b>mine</b>" not in body and "<i>waiting</i>" not in body
    assert (f'<a href="/environments/{env.pk}/">&lt;b&gt;mine&lt;/b&gt;</a> '
            f'<span class="muted small">{env.provisioned_product_name}</span>') in body
    assert f'href="/requests/{env.origin_request_id}/">{env.origin_request.reference}</a>' \
        in body
    assert '<span class="status status-queued" data-status>Queued</span>' in body
    assert '&lt;i&gt;waiting&lt;/i&gt;' in body
    assert re.search(r'class="inline" data-open-form hidden><input type="hidden" '
                     r'name="csrfmiddlewaretoken" value="[^"]+">', body)
    assert '<td class="small" data-lease-ends>—</td>' in body
    client.force_login(platform_admin)
    admin = client.get("/environments/all/").content.decode()
    assert "<b>mine</b>" not in admin and "&lt;b&gt;mine&lt;/b&gt;</a>" in admin
    assert f"<td>{scientist.username}</td><td>{project.slug}</td>" in admin
    empty = client.get("/environments/all/?owner=nobody-at-all").content.decode()
    assert "No environment matches." in empty


def test_the_rows_query_reads_only_what_the_page_shows_and_meters(
        client: Client, scientist: User, project: Project, notebook: Product) -> None:
    for _ in range(3):
        make_environment(scientist, project, notebook)
    client.force_login(scientist)
    client.get("/environments/")  # the session and the menu's first reads
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/environments/")
    assert response.status_code == 200
    rows = [q["sql"] for q in queries.captured_queries
            if 'FROM "provisioning_environment"' in q["sql"] and "JOIN" in q["sql"]]
    assert len(rows) == 1, rows
    # Neither the JSON columns it does not show nor the owner's row (a whole user) are read.
    for column in ('"provisioning_environment"."outputs"', '"provisioning_environment"."tags"',
                   '"approvals_request"."parameters"', '"portal_user"'):
        assert column not in rows[0]
    assert '"provisioning_environment"."parameters"' in rows[0]  # metered
    # The session, the user, the rows, the prices, the status edges, the menu's counts.
    assert len(queries) == 6


def test_the_live_state_labels_every_status_as_the_model_does() -> None:
    for status in [*Environment.Status.values, "unknown-status"]:
        environment = Environment(status=status, updated_at=timezone.now())
        assert environment_json(environment)["status_label"] == environment.get_status_display()
