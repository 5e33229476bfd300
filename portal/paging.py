"""Paginators that read the page first and count only when they have to.

Django's ``Paginator.get_page`` counts every row (``SELECT COUNT(*)`` over the whole filtered
list) before it reads the page, to check the page number. When the list ends on the page asked
for — a catalog of two dozen products, the first and only page of most people's lists — the
rows read tell the count already: reading one row more than a page says whether another page
follows. Only then is the COUNT run (issue 16: the catalog's count was one of its statements).
For a list bounded in size, ``CountInPagePaginator`` reads the count with the page's rows in
the same statement instead (a window count).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window


class CountLastPaginator(Paginator):  # type: ignore[type-arg]
    """``Paginator`` whose ``get_page`` reads ``per_page + 1`` rows of the page asked for
    first; when no row follows them, the count is the rows before the page plus those read,
    and no COUNT is run. Otherwise (more pages, or a page number past the end) it falls back
    to Django's: the COUNT, then the page (the last one for a number past the end)."""

    def get_page(self, number: Any) -> Page:  # type: ignore[type-arg]
        asked = _page_number(number)
        if asked is None or self.orphans or not self.allow_empty_first_page:
            return super().get_page(number)
        bottom = (asked - 1) * self.per_page
        rows = list(self.object_list[bottom:bottom + self.per_page + 1])
        if len(rows) > self.per_page:
            self.count  # noqa: B018 (Django's count: the pager needs the number of pages)
            return Page(rows[:self.per_page], asked, self)
        if rows or asked == 1:
            # The list ends on this page: its count is known without asking.
            self.__dict__["count"] = bottom + len(rows)
            return Page(rows, asked, self)
        return super().get_page(number)  # past the end: Django's last page


# The name the window count is read under: no model field of a paged list is called so.
PAGING_TOTAL = "paging_total_rows"


class CountInPagePaginator(Paginator):  # type: ignore[type-arg]
    """``Paginator`` of a queryset whose ``get_page`` reads the page and the number of rows
    of the whole list in one statement: a ``COUNT(*) OVER ()`` window on the page's rows,
    evaluated before the LIMIT, so the pager's count is that of the rows the page was read
    from. For lists bounded in size, such as a person's catalog (a few hundred products at a
    bank): the window makes the database read every matching row, where a plain page with an
    index in its order stops at the LIMIT. A page number past the end (no rows to read the
    count from) falls back to Django's: the COUNT, then the last page.

    Issue 16: the catalog's count was a second run of its scoping subquery, planned and
    executed again, on every catalog of more than one page."""

    def __init__(self, object_list: Any, per_page: int, *,
                 first_page: Callable[[], tuple[list[Any], int]] | None = None) -> None:
        """``first_page``: reads the first page's rows and the list's count (a statement
        compiled once, say) in place of the window read of ``object_list``'s first page."""
        super().__init__(object_list, per_page)
        self.first_page = first_page

    def get_page(self, number: Any) -> Page:  # type: ignore[type-arg]
        asked = _page_number(number)
        rows_of: QuerySet[Any] = self.object_list  # type: ignore[assignment]
        if asked is None or self.orphans or not self.allow_empty_first_page:
            return super().get_page(number)
        if asked == 1 and self.first_page is not None:
            first, total = self.first_page()
            self.__dict__["count"] = total
            return Page(first, asked, self)
        bottom = (asked - 1) * self.per_page
        rows = list(rows_of.annotate(**{PAGING_TOTAL: Window(Count("pk"))})
                    [bottom:bottom + self.per_page])
        if rows:
            self.__dict__["count"] = getattr(rows[0], PAGING_TOTAL)
            return Page(rows, asked, self)
        if asked == 1:
            self.__dict__["count"] = 0
            return Page(rows, asked, self)
        return super().get_page(number)  # past the end: Django's last page


def _page_number(number: Any) -> int | None:
    """The page number asked for (1 when none is), or None for anything Django's own
    ``get_page`` should handle (not a whole number, or below 1)."""
    if number is None or number == "":
        return 1
    try:
        asked = int(number)
    except (TypeError, ValueError):
        return None
    return asked if asked >= 1 else None
