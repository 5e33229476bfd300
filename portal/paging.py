"""A paginator that reads the page first and counts only when it has to.

Django's ``Paginator.get_page`` counts every row (``SELECT COUNT(*)`` over the whole filtered
list) before it reads the page, to check the page number. When the list ends on the page asked
for — a catalog of two dozen products, the first and only page of most people's lists — the
rows read tell the count already: reading one row more than a page says whether another page
follows. Only then is the COUNT run (issue 16: the catalog's count was one of its statements).
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator


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
