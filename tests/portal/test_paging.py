"""CountLastPaginator: the page's rows first, a COUNT only when another page follows;
CountInPagePaginator: the page's rows and the count in one statement."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Project
from portal.paging import CountInPagePaginator, CountLastPaginator

pytestmark = pytest.mark.django_db


def _projects(n: int) -> Any:
    Project.objects.bulk_create(
        Project(slug=f"p{i:03d}", name=f"Project {i:03d}", cost_center="CC-1",
                aws_account_id="123456789012", aws_region="eu-west-1") for i in range(n))
    return Project.objects.order_by("slug")


def _shown(paginator: Paginator, number: Any) -> tuple[Any, ...]:  # type: ignore[type-arg]
    """What a pager shows of the page ``get_page(number)`` gives, and its rows."""
    page = paginator.get_page(number)
    return (page.number, page.paginator.count, page.paginator.num_pages, page.has_next(),
            page.has_previous(), [p.slug for p in page])


@pytest.mark.parametrize("number", [None, "", "1", "2", "3", "9", "0", "-1", "x", "2.5", 2])
@pytest.mark.parametrize("n", [0, 7, 10, 25])
def test_the_same_page_as_djangos_paginator(n: int, number: Any) -> None:
    rows = _projects(n)
    assert _shown(CountLastPaginator(rows, 10), number) == _shown(Paginator(rows, 10), number)
    assert _shown(CountInPagePaginator(rows, 10), number) == _shown(Paginator(rows, 10), number)


def test_a_list_that_ends_on_the_page_asked_for_is_not_counted() -> None:
    rows = _projects(25)
    with CaptureQueriesContext(connection) as queries:
        page = CountLastPaginator(rows, 10).get_page("3")
        assert [p.slug for p in page] == [f"p{i:03d}" for i in range(20, 25)]
        assert (page.paginator.count, page.paginator.num_pages) == (25, 3)
    assert len(queries) == 1 and "COUNT(" not in queries[0]["sql"].upper()
    with CaptureQueriesContext(connection) as queries:
        assert CountLastPaginator(rows.filter(slug="none"), 10).get_page(None).paginator.count == 0
    assert len(queries) == 1


def test_a_page_with_more_after_it_is_counted_once_and_read_once() -> None:
    rows = _projects(25)
    with CaptureQueriesContext(connection) as queries:
        page = CountLastPaginator(rows, 10).get_page("2")
        assert (len(page), page.paginator.count, page.has_next()) == (10, 25, True)
    sqls = [q["sql"].upper() for q in queries.captured_queries]
    assert len(sqls) == 2 and sum("COUNT(" in sql for sql in sqls) == 1


@pytest.mark.parametrize(("number", "shown"), [(None, 10), ("2", 10), ("3", 5)])
def test_the_window_count_reads_page_and_count_in_one_statement(number: Any, shown: int) -> None:
    rows = _projects(25)
    with CaptureQueriesContext(connection) as queries:
        page = CountInPagePaginator(rows.filter(slug__lt="p025"), 10).get_page(number)
        assert (len(page), page.paginator.count, page.paginator.num_pages) == (shown, 25, 3)
    assert len(queries) == 1
    sql = queries[0]["sql"].upper()
    assert "COUNT(" in sql and "OVER ()" in sql and "LIMIT 10" in sql


def test_the_window_count_is_of_the_filtered_list() -> None:
    rows = _projects(25).filter(slug__gte="p012")
    page = CountInPagePaginator(rows, 10).get_page("2")
    assert (page.paginator.count, [p.slug for p in page][:1]) == (13, ["p022"])


def test_a_page_past_the_end_of_the_window_count_is_djangos_last_page() -> None:
    rows = _projects(25)
    with CaptureQueriesContext(connection) as queries:
        page = CountInPagePaginator(rows, 10).get_page("9")
        assert (page.number, len(page), page.paginator.count) == (3, 5, 25)
    sqls = [q["sql"].upper() for q in queries.captured_queries]
    assert len(sqls) == 3 and sum("COUNT(" in sql for sql in sqls) == 2  # the window, COUNT
