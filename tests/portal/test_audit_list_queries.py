"""Issue 16: audit lists cost what their page shows, not one query per row or the whole table."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.models import AuditEvent, Project, User

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
