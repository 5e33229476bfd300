"""PortalPagination reads the window first and counts only when the list goes on past it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from portal.api_input import PortalPagination
from portal.models import Project

pytestmark = pytest.mark.django_db


class CountingFirst(PortalPagination):
    """DRF's own order: the COUNT, then the window (the portal's parameter checks kept)."""

    def paginate_queryset(self, queryset: Any, request: Request,
                          view: Any = None) -> list[Any] | None:
        return LimitOffsetPagination.paginate_queryset(self, queryset, request, view)


def _projects(n: int) -> Any:
    Project.objects.bulk_create(
        Project(slug=f"p{i:03d}", name=f"Project {i:03d}", cost_center="CC-1",
                aws_account_id="123456789012", aws_region="eu-west-1") for i in range(n))
    return Project.objects.order_by("slug")


def _answer(pagination: PortalPagination, rows: Any, query: dict[str, Any]) -> Any:
    request = Request(APIRequestFactory().get("/api/v1/projects", query))
    page = pagination.paginate_queryset(rows, request)
    shown = [p.slug for p in page or []]
    return shown, dict(pagination.get_paginated_response(shown).data)


@pytest.mark.parametrize("query", [{}, {"limit": 3}, {"limit": 7}, {"limit": 10},
                                   {"limit": 3, "offset": 3}, {"limit": 3, "offset": 6},
                                   {"limit": 3, "offset": 7}, {"limit": 3, "offset": 50},
                                   {"limit": 3, "page": 2}, {"limit": 3, "page": 3},
                                   {"limit": 3, "page": 4}, {"limit": 7, "page": 2}])
@pytest.mark.parametrize("n", [0, 1, 7])
def test_the_same_answer_as_drfs_pagination(n: int, query: dict[str, Any]) -> None:
    rows = _projects(n)
    assert _answer(PortalPagination(), rows, query) == _answer(CountingFirst(), rows, query)


def _statements(rows: Any, query: dict[str, Any]) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        _answer(PortalPagination(), rows, query)
    return [q["sql"].upper() for q in queries.captured_queries]


def test_a_list_that_ends_in_the_window_is_not_counted() -> None:
    rows = _projects(7)
    for query in ({}, {"limit": 7}, {"limit": 3, "offset": 6}, {"limit": 3, "page": 3}):
        sql = _statements(rows, query)
        assert len(sql) == 1 and "COUNT(" not in sql[0], query
    _shown, body = _answer(PortalPagination(), rows, {"limit": 3, "page": 3})
    assert (body["count"], body["page"], body["pages"], body["next"]) == (7, 3, 3, None)


def test_a_window_with_more_after_it_or_past_the_end_is_counted() -> None:
    rows = _projects(7)
    for query in ({"limit": 6}, {"limit": 3, "page": 2}, {"limit": 3, "offset": 9}):
        sql = _statements(rows, query)
        assert len(sql) == 2 and sum("COUNT(" in s for s in sql) == 1, query
    _shown, body = _answer(PortalPagination(), rows, {"limit": 3, "offset": 9})
    assert (body["count"], body["results"], body["pages"]) == (7, [], 3)
