"""The API's list of my requests (approvals.api_rows) is MyRequestOutput's JSON, byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from approvals.api import MyRequestOutput
from approvals.api_rows import my_request_rows, my_request_values, my_request_window
from approvals.links import environment_links
from approvals.models import Request
from approvals.selectors import my_requests, waiting_tasks_prefetch
from approvals.services import request_approve
from catalog.models import Product
from portal.models import Project, User
from portal.row_values import api_times
from tests.approvals.conftest import ADMIN_GROUP, make_environment, request_notebook
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _both(user: User) -> tuple[bytes, bytes]:
    """The rows built from ``values_list`` tuples, and the serializer's of model instances."""
    requests = list(my_requests(user=user))
    waiting_tasks_prefetch(requests)
    links = environment_links(requests=requests, user=user)
    expected = MyRequestOutput(requests, many=True, context={"links": links}).data
    built = my_request_rows(list(my_request_values(my_requests(user=user))), user=user)
    return JSONRenderer().render(built), JSONRenderer().render(expected)


@pytest.mark.usefixtures("demo_policies", "platform_admin")
def test_the_rows_are_the_serializers_json_byte_for_byte(
        scientist: User, manager: User, project: Project, notebook: Product,
        settings: Any) -> None:
    waiting = request_notebook(scientist, project, notebook, "ml.p3.2xlarge")  # manager's step
    group_step = request_notebook(scientist, project, notebook, "ml.p3.2xlarge")
    make_user("paul.admin").groups.add(Group.objects.get(name=ADMIN_GROUP))
    request_approve(task=group_step.tasks.get(), approver=manager, comment="ok")
    request_notebook(scientist, project, notebook, "ml.t3.medium")  # approved at once
    Request.objects.filter(pk=waiting.pk).update(
        estimated_monthly_cost=Decimal("12.5"), lease_days=7, name="<b>&é")
    environment = make_environment(scientist, project, notebook)
    Request.objects.create(
        requester=scientist, project=project, product=notebook, version=environment.version,
        action=Request.Action.TERMINATE, environment_ref=str(environment.pk),
        name=environment.name, parameters={}, justification="Done", estimated_monthly_cost=None)
    for zone in ("UTC", "America/New_York"):
        settings.TIME_ZONE = zone
        built, expected = _both(scientist)
        assert built == expected
    assert built.count(b'"next_approvers":[{') == 2
    assert b'"environment":{"id":"' in built and b'"estimated_monthly_cost":"12.50"' in built
    # The endpoint answers the same rows.
    client = APIClient()
    client.force_authenticate(scientist)
    body = client.get("/api/v1/requests?limit=500").json()
    assert JSONRenderer().render(body["results"]) == expected


def _list_queries(client: APIClient, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.usefixtures("demo_policies", "platform_admin")
def test_the_list_costs_the_same_queries_for_any_number_of_rows(
        scientist: User, project: Project, notebook: Product,
        django_assert_num_queries: Any) -> None:
    client = APIClient()
    client.force_authenticate(scientist)
    make_environment(scientist, project, notebook)
    # Decided requests with environments: the page's rows and their environments' links; no
    # COUNT (the list ends within the window) and no tasks (nothing waits).
    with django_assert_num_queries(2):
        assert len(client.get("/api/v1/requests").json()["results"]) == 1
    for _ in range(4):
        make_environment(scientist, project, notebook)
    with django_assert_num_queries(2):
        assert len(client.get("/api/v1/requests").json()["results"]) == 5
    # A page past its first: the COUNT too.
    with django_assert_num_queries(3):
        assert client.get("/api/v1/requests?limit=2").json()["count"] == 5


@pytest.mark.usefixtures("demo_policies", "platform_admin")
def test_pending_rows_read_their_tasks_once_for_the_page(
        scientist: User, project: Project, notebook: Product) -> None:
    client = APIClient()
    client.force_authenticate(scientist)
    request_notebook(scientist, project, notebook, "ml.p3.2xlarge")  # waits for the manager
    one = _list_queries(client, "/api/v1/requests")
    for _ in range(3):
        request_notebook(scientist, project, notebook, "ml.p3.2xlarge")
    four = _list_queries(client, "/api/v1/requests")
    assert len(four) == len(one)
    body = client.get("/api/v1/requests").json()
    assert [len(r["next_approvers"]) > 0 for r in body["results"]] == [True] * 4
    # The page's requests as one read of columns: no second read of the requests themselves.
    assert sum('FROM "approvals_request"' in sql for sql in four) == 1


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_api_times_write_what_drfs_field_writes(zone: str) -> None:
    field = serializers.DateTimeField()
    values = [datetime(2026, 3, 8, 6, 59, 59, 123456, tzinfo=UTC),  # New York's DST begins
              datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
              datetime(2026, 7, 1, 12, 0, tzinfo=ZoneInfo("Europe/Paris")),
              datetime(2026, 7, 1, 12, 0)]  # naive: the field makes it aware
    with timezone.override(ZoneInfo(zone)):
        write = api_times()
        assert [write(v) for v in values] == [field.to_representation(v) for v in values]
        assert write(None) is None


@pytest.mark.usefixtures("demo_policies", "platform_admin")
def test_the_first_pages_window_is_the_querysets_slice_for_whoever_asks(
        scientist: User, colleague: User, project: Project, notebook: Product) -> None:
    for _ in range(3):
        make_environment(scientist, project, notebook)
    make_environment(colleague, project, notebook)
    for user in (scientist, colleague, scientist):  # compiled once, filled for each asker
        rows = my_request_values(my_requests(user=user))
        for start, stop in ((0, 1), (0, 3), (0, 51), (0, 501), (1, 3), (0, 502)):
            window = my_request_window(user=user, start=start, stop=stop)
            assert [tuple(row) for row in window] == list(rows[start:stop])
    assert len(my_request_window(user=colleague, start=0, stop=51)) == 1
