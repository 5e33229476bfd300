"""The environment page's timeline updates without a reload while the environment changes: its
fragment is scoped like the page, cheap, and stops asking to be polled once the status settles.
The owner's notices about it are in the portal as well as in the mail."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.models import Notification, User
from provisioning.models import Environment, EnvironmentEvent
from tests.provisioning.conftest import run_until_settled

pytestmark = pytest.mark.django_db


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _polls(body: str, environment: Environment) -> bool:
    return (f'hx-get="/environments/{environment.pk}/timeline" hx-trigger="every 3s"'
            in body)


def test_a_busy_environment_s_timeline_polls_and_shows_new_entries(
        scientist: User, queued: Environment) -> None:
    client = _login(scientist)
    assert _polls(client.get(f"/environments/{queued.pk}/").content.decode(), queued)
    EnvironmentEvent.objects.create(environment=queued, kind="progress",
                                    message="Stack CREATE_IN_PROGRESS")
    response = client.get(f"/environments/{queued.pk}/timeline")
    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    assert "Stack CREATE_IN_PROGRESS" in body and _polls(body, queued)


def test_once_available_the_timeline_stops_polling_and_the_owner_was_told_in_app(
        scientist: User, queued: Environment, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        environment = run_until_settled(queued)
    assert environment.status == Environment.Status.AVAILABLE
    client = _login(scientist)
    body = client.get(f"/environments/{environment.pk}/timeline").content.decode()
    assert not _polls(body, environment) and "Ready to open." in body
    assert not _polls(client.get(f"/environments/{environment.pk}/").content.decode(),
                      environment)
    notice = Notification.objects.get(recipient=scientist, kind="environment")
    assert notice.text.startswith("Ready:")
    assert notice.link == f"/environments/{environment.pk}/"
    assert [m.subject for m in mail.outbox] == [f"[ML portal] {notice.text}"]


def test_the_timeline_fragment_is_404_out_of_scope_and_401_anonymous(
        outsider: User, queued: Environment) -> None:
    assert _login(outsider).get(f"/environments/{queued.pk}/timeline").status_code == 404
    assert Client().get(f"/environments/{queued.pk}/timeline").status_code == 401


def test_the_timeline_fragment_costs_the_same_for_one_and_many_entries(
        scientist: User, queued: Environment, django_assert_max_num_queries: Any) -> None:
    client = _login(scientist)
    client.get(f"/environments/{queued.pk}/timeline")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/environments/{queued.pk}/timeline")
    EnvironmentEvent.objects.bulk_create(
        [EnvironmentEvent(environment=queued, kind="progress", message=f"step {i}")
         for i in range(30)])
    with django_assert_max_num_queries(len(few)):
        body = client.get(f"/environments/{queued.pk}/timeline").content.decode()
    assert body.count("step ") == 30
    assert len(few) <= 6
