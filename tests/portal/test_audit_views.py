"""The audit trail page and its CSV export: auditors and platform admins only."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.models import AuditEvent, Project, User

LIST = "/audit/"
EXPORT = "/audit/export.csv"


@pytest.fixture
def trail(scientist: User, outsider: User, project: Project, other_project: Project) -> None:
    AuditEvent.objects.create(action="auth.sign_in", actor=scientist,
                              actor_username=scientist.username, data={"method": "saml"},
                              at=datetime(2026, 3, 1, 9, tzinfo=UTC))
    AuditEvent.objects.create(action="project.changed", actor=scientist,
                              actor_username=scientist.username, project=project,
                              object_type="portal.project", object_id=str(project.pk),
                              object_repr="Fraud detection", source_ip="10.1.1.1",
                              at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    AuditEvent.objects.create(action="auth.sign_out", actor=outsider,
                              actor_username=outsider.username, project=other_project,
                              at=datetime(2026, 3, 3, 9, tzinfo=UTC))


def listed_actions(client: Client, query: str = "") -> list[str]:
    response = client.get(LIST + query)
    assert response.status_code == 200
    return [e.action for e in response.context["page"]]


def exported_rows(response: object) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(body)))


# --- who may read ------------------------------------------------------------------------------

@pytest.mark.usefixtures("trail")
@pytest.mark.parametrize("who", ["auditor", "platform_admin"])
def test_auditors_and_platform_admins_read_the_trail(
    who: str, client: Client, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(who))

    response = client.get(LIST)

    assert response.status_code == 200
    assert b"project.changed" in response.content
    assert b"dana.scientist" in response.content


@pytest.mark.usefixtures("trail")
@pytest.mark.parametrize("who", ["scientist", "manager", "outsider"])
def test_everyone_else_gets_the_friendly_403(
    who: str, client: Client, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(who))

    response = client.get(LIST)

    assert response.status_code == 403
    assert b"Not allowed" in response.content
    assert b"project.changed" not in response.content


def test_anonymous_is_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get(LIST)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/audit/"


# --- filters -------------------------------------------------------------------------------------

@pytest.mark.usefixtures("trail")
def test_it_filters_by_action(client: Client, auditor: User) -> None:
    client.force_login(auditor)

    # The first line is the auditor's own sign-in, written by force_login.
    assert listed_actions(client, "?action=auth.sign") == [
        "auth.sign_in", "auth.sign_out", "auth.sign_in"
    ]


@pytest.mark.usefixtures("trail")
def test_it_filters_by_actor(client: Client, auditor: User) -> None:
    client.force_login(auditor)

    assert listed_actions(client, "?actor=otto.outsider") == ["auth.sign_out"]


@pytest.mark.usefixtures("trail")
def test_it_filters_by_project(client: Client, auditor: User) -> None:
    client.force_login(auditor)

    assert listed_actions(client, "?project=fraud") == ["project.changed"]


@pytest.mark.usefixtures("trail")
def test_it_filters_by_dates(client: Client, auditor: User) -> None:
    client.force_login(auditor)

    assert listed_actions(client, "?since=2026-03-02&until=2026-03-02") == ["project.changed"]
    assert listed_actions(client, "?until=2026-03-01") == ["auth.sign_in"]
    assert listed_actions(client, "?since=2026-03-02&until=2026-03-31") == [
        "auth.sign_out", "project.changed"
    ]


@pytest.mark.usefixtures("trail")
def test_a_bad_date_is_a_400_with_a_message(client: Client, auditor: User) -> None:
    client.force_login(auditor)

    response = client.get(LIST + "?since=yesterday")

    assert response.status_code == 400
    assert b"Enter a valid date." in response.content


@pytest.mark.usefixtures("trail")
def test_it_pages_fifty_events_at_a_time(client: Client, auditor: User) -> None:
    for n in range(60):
        AuditEvent.objects.create(action=f"bulk.{n}")
    client.force_login(auditor)

    first = client.get(LIST + "?action=bulk.")
    older = first.context["page"].older
    second = client.get(LIST, {"action": "bulk.", "older": older})

    assert len(first.context["page"]) == 50
    assert len(second.context["page"]) == 10
    assert second.context["page"].older is None
    assert b'href="?action=bulk.&older=' in first.content


@pytest.mark.usefixtures("trail")
def test_the_page_query_count_does_not_grow_with_events(client: Client, auditor: User) -> None:
    client.force_login(auditor)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for n in range(30):
        AuditEvent.objects.create(action=f"bulk.{n}", project=Project.objects.first())
    with CaptureQueriesContext(connection) as many:
        client.get(LIST)

    assert len(many) == len(few)


# --- export --------------------------------------------------------------------------------------

@pytest.mark.usefixtures("trail")
def test_the_export_is_a_csv_of_the_filtered_trail(client: Client, auditor: User,
                                                   project: Project) -> None:
    client.force_login(auditor)

    response = client.get(EXPORT + "?project=fraud")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="audit-trail.csv"'
    rows = exported_rows(response)
    assert len(rows) == 1
    assert rows[0]["action"] == "project.changed"
    assert rows[0]["actor"] == "dana.scientist"
    assert rows[0]["object"] == "Fraud detection"
    assert rows[0]["object_id"] == str(project.pk)
    assert rows[0]["project"] == "fraud"
    assert rows[0]["source_ip"] == "10.1.1.1"
    assert rows[0]["at"] == "2026-03-02T09:00:00+00:00"


@pytest.mark.usefixtures("trail")
def test_the_export_data_column_is_json(client: Client, auditor: User) -> None:
    client.force_login(auditor)

    rows = exported_rows(client.get(EXPORT + "?action=auth.sign_in&until=2026-03-31"))

    assert [json.loads(r["data"]) for r in rows] == [{"method": "saml"}]


@pytest.mark.usefixtures("trail")
def test_the_export_is_itself_audited(client: Client, platform_admin: User) -> None:
    client.force_login(platform_admin)

    client.get(EXPORT + "?action=auth.&since=2026-03-01", REMOTE_ADDR="10.2.2.2")

    event = AuditEvent.objects.get(action="audit.exported")
    assert event.actor == platform_admin
    assert event.source_ip == "10.2.2.2"
    assert event.data == {"filters": {"action": "auth.", "since": "2026-03-01"}}


def test_an_exported_value_that_looks_like_a_formula_stays_text(
    client: Client, auditor: User
) -> None:
    """A failed sign-in stores whatever username was typed; a spreadsheet must not run it."""
    AuditEvent.objects.create(action="auth.sign_in_failed",
                              actor_username='=HYPERLINK("https://evil.example","x")')
    AuditEvent.objects.create(action="auth.sign_in_failed", actor_username="@SUM(A1)")
    client.force_login(auditor)

    rows = exported_rows(client.get(EXPORT + "?action=auth.sign_in_failed"))

    assert sorted(r["actor"] for r in rows) == [
        "'=HYPERLINK(\"https://evil.example\",\"x\")", "'@SUM(A1)"
    ]


@pytest.mark.usefixtures("trail")
@pytest.mark.parametrize("who", ["scientist", "manager"])
def test_the_export_is_refused_to_everyone_else(
    who: str, client: Client, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(who))

    response = client.get(EXPORT)

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_anonymous_export_is_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get(EXPORT)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


@pytest.mark.usefixtures("trail")
def test_an_export_with_a_bad_date_is_a_400_and_not_audited(client: Client,
                                                            auditor: User) -> None:
    client.force_login(auditor)

    response = client.get(EXPORT + "?until=2026-02-30")

    assert response.status_code == 400
    assert b"Enter a valid date." in response.content
    assert not AuditEvent.objects.filter(action="audit.exported").exists()
