"""The API's environment list (provisioning.api_rows) is EnvironmentOutput's JSON, byte for byte,
in a constant number of queries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from approvals.models import Request
from portal.models import Project, User
from provisioning.api import EnvironmentOutput
from provisioning.api_rows import environment_rows, environment_values, environment_window
from provisioning.models import Environment
from provisioning.selectors import environments_for_user
from tests.conftest import make_user
from tests.provisioning.conftest import approved_request, make_notebook_product

pytestmark = pytest.mark.django_db


def _environments(owner: User, project: Project, count: int, start: int = 0) -> None:
    product, version = make_notebook_product(project) if not start else (
        Environment.objects.filter(owner=owner).first().product,  # type: ignore[union-attr]
        Environment.objects.filter(owner=owner).first().version)  # type: ignore[union-attr]
    for n in range(start, start + count):
        request = approved_request(requester=owner, project=project, product=product,
                                   version=version)
        Environment.objects.create(
            origin_request=request, owner=owner, project=project, product=product,
            version=version, provisioned_product_name=f"nb-rows-{n}-{product.pk}",
            # Every kind of value: set and unset times, names, nested JSON, "" and None.
            notebook_instance_name=f"nb-{n}" if n % 2 else "", status_message="é <b>&",
            outputs={"Arn": f"arn:aws:sagemaker:eu-west-1:1:nb/{n}", "n": [n, None]},
            tags={"portal-environment": str(n)} if n % 3 else {},
            available_at=datetime(2026, 5, 1, 12, 0, 0, n * 1000, tzinfo=UTC) if n else None,
            expires_at=datetime(2026, 6, 1, tzinfo=UTC) if n % 2 else None,
            status=Environment.Status.AVAILABLE if n % 2 else Environment.Status.QUEUED)
        if n == 1:
            Request.objects.filter(pk=request.pk).update(name="chosen <name>")


def test_the_rows_are_the_serializers_json_byte_for_byte(
        scientist: User, platform_admin: User, project: Project, settings: Any) -> None:
    _environments(scientist, project, 6)
    for zone in ("UTC", "Europe/Berlin"):
        settings.TIME_ZONE = zone
        for user in (scientist, platform_admin):
            environments = environments_for_user(user=user).order_by("-created_at", "pk")
            expected = EnvironmentOutput(list(environments), many=True).data
            built = environment_rows(environment_values(environments))
            assert len(built) == 6
            assert JSONRenderer().render(built) == JSONRenderer().render(expected)


def test_the_list_endpoint_answers_the_serializers_rows_in_constant_queries(
        scientist: User, outsider: User, project: Project) -> None:
    client = APIClient()
    client.force_login(scientist)

    def listed() -> tuple[int, Any]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/environments?limit=500")
        assert response.status_code == 200
        return len(queries), response.json()

    _environments(scientist, project, 1)
    one, _ = listed()
    _environments(scientist, project, 12, start=1)
    many, body = listed()
    assert one == many
    mine = environments_for_user(user=scientist)
    expected = JSONRenderer().render(EnvironmentOutput(list(mine), many=True).data)
    assert JSONRenderer().render(body["results"]) == expected
    assert body["count"] == 13
    filtered = client.get("/api/v1/environments?status=queued").json()
    assert {row["status"] for row in filtered["results"]} == {"queued"}
    client.force_login(outsider)
    assert client.get("/api/v1/environments").json()["results"] == []


def test_the_first_pages_window_is_the_scoped_querysets_slice_for_whoever_asks(
        scientist: User, outsider: User, platform_admin: User, project: Project) -> None:
    gone = make_user("gina.gone", is_active=False)
    _environments(scientist, project, 8)
    pks = list(Environment.objects.order_by("pk").values_list("pk", flat=True))
    Environment.objects.filter(pk__in=pks[:2]).update(owner=outsider)
    Environment.objects.filter(pk=pks[2]).update(owner=gone)
    windows = ((0, 1), (0, 3), (0, 51), (0, 501), (2, 4), (0, 502))
    # Compiled for the first of a kind, then filled for each asker: never another's rows.
    for user in (scientist, outsider, platform_admin, scientist, gone):
        for status in ("", "queued", "available", "no-such-status"):
            environments = environments_for_user(user=user)
            if status:
                environments = environments.filter(status=status)
            for start, stop in windows:
                assert environment_window(user=user, status=status, start=start, stop=stop) \
                    == list(environment_values(environments)[start:stop])
    assert len(environment_window(user=outsider, status="", start=0, stop=51)) == 2
    assert len(environment_window(user=platform_admin, status="", start=0, stop=51)) == 8
    assert environment_window(user=gone, status="", start=0, stop=51) == []


def test_the_list_is_one_statement_and_the_count_only_past_the_window(
        scientist: User, project: Project, django_assert_num_queries: Any) -> None:
    _environments(scientist, project, 3)
    client = APIClient()
    client.force_authenticate(scientist)
    for url in ("/api/v1/environments", "/api/v1/environments?status=queued",
                "/api/v1/environments?offset=1"):
        with django_assert_num_queries(1):
            assert client.get(url).status_code == 200
    with django_assert_num_queries(2):
        assert client.get("/api/v1/environments?limit=2").json()["count"] == 3
