"""Keyset ("older"/"newer") pages of the audit trail, by the ``(at, id)`` of the rows shown.

No OFFSET: each page is an index range read after (or before) the last row seen, so a page far
back costs what the first one does, and rows appended meanwhile never shift what a link shows.
The cursor is signed (``django.core.signing``), so a changed or made-up one is told apart from a
real one: the list then shows its newest page with a message, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet

SALT = "portal.keyset.audit"


class BadCursor(ValueError):
    """A cursor that was not made by ``cursor_for`` (or no longer parses)."""


def cursor_for(row: Any) -> str:
    """The signed cursor of a row: its ``at`` (ISO 8601) and id."""
    return signing.dumps([row.at.isoformat(), int(row.pk)], salt=SALT)


def cursor_read(text: str) -> tuple[datetime, int]:
    try:
        at, pk = signing.loads(text, salt=SALT)
        moment = datetime.fromisoformat(at)
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise BadCursor("not a valid page link") from error
    if not isinstance(pk, int) or moment.tzinfo is None:
        raise BadCursor("not a valid page link")
    return moment, pk


@dataclass
class KeysetPage:
    """The rows of one page (newest first), the cursors of the pages around it, and the
    number of matching rows, counted up to ``count_cap`` (``more``: there are more)."""

    rows: list[Any]
    count: int
    more: bool
    newer: str | None = None
    older: str | None = None
    invalid: bool = field(default=False)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _count(events: QuerySet[Any], count_cap: int) -> tuple[int, bool]:
    counted = events.order_by()[:count_cap + 1].count()
    return min(counted, count_cap), counted > count_cap


def keyset_page(events: QuerySet[Any], *, older: str | None, newer: str | None, size: int,
                count_cap: int) -> KeysetPage:
    """One page of ``events`` (ordered newest first by ``-at, -id``).

    The newest page, when it is not full, holds every matching row: its length is the count,
    and the count query (a second pass over the filter's index, the costlier part of a narrow
    search such as the trail's object search) is not run (issue 16)."""
    invalid = False
    try:
        if older:
            at, pk = cursor_read(older)
            rows = list(events.filter(Q(at__lt=at) | Q(at=at, id__lt=pk))
                        .order_by("-at", "-id")[:size + 1])
            page = KeysetPage(rows[:size], *_count(events, count_cap), older=None, newer=None)
            page.older = cursor_for(rows[size - 1]) if len(rows) > size else None
            page.newer = cursor_for(rows[0]) if rows else None
            return page
        if newer:
            at, pk = cursor_read(newer)
            rows = list(events.filter(Q(at__gt=at) | Q(at=at, id__gt=pk))
                        .order_by("at", "id")[:size + 1])
            if len(rows) > size:  # still newer ones above: a full page, both links
                shown = rows[:size][::-1]
                return KeysetPage(shown, *_count(events, count_cap),
                                  newer=cursor_for(shown[0]), older=cursor_for(shown[-1]))
            # Back at the top: the newest page itself, always full.
    except BadCursor:
        invalid = True
    rows = list(events[:size + 1])
    if len(rows) > size:
        count, more = _count(events, count_cap)
    else:
        count, more = len(rows), False
    return KeysetPage(rows[:size], count, more, newer=None,
                      older=cursor_for(rows[size - 1]) if len(rows) > size else None,
                      invalid=invalid)
