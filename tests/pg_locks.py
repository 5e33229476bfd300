"""Row locks as PostgreSQL takes them, for the tests of what the portal locks.

SQLite has no row locks (Django leaves ``FOR UPDATE`` out there), so on SQLite a test checks the
statement as Django compiles it for PostgreSQL (``as_postgresql``); on PostgreSQL (CI) it can also
probe the locks themselves from another connection (``lock_now``).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet


def as_postgresql(queryset: Any) -> str:
    """``queryset``'s SQL as Django's PostgreSQL backend writes it (compiled, never run)."""
    from django.conf import settings
    from django.db.backends.postgresql.base import DatabaseWrapper

    offline = DatabaseWrapper({**settings.DATABASES["default"],
                               "ENGINE": "django.db.backends.postgresql", "NAME": "offline"})
    offline.get_autocommit = lambda: False  # type: ignore[method-assign]  # inside atomic()
    sql, _ = queryset.query.get_compiler(connection=offline).as_sql()
    return str(sql)


def lock_now(model: type[Any], pk: Any) -> str:
    """In another connection: 'locked' if ``model`` row ``pk`` can be locked NOWAIT, else
    'busy' (another transaction holds it)."""
    outcome: list[str] = []

    def run() -> None:
        try:
            with transaction.atomic():
                model.objects.select_for_update(nowait=True).get(pk=pk)
            outcome.append("locked")
        except DatabaseError:
            outcome.append("busy")
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return outcome[0] if outcome else "no answer"


def locks_recorded(monkeypatch: pytest.MonkeyPatch) -> list[QuerySet[Any]]:
    """The querysets ``select_for_update`` makes from now on (for ``as_postgresql``), in order."""
    locking: list[QuerySet[Any]] = []
    select_for_update = QuerySet.select_for_update

    def recorded(self: QuerySet[Any], *args: Any, **kwargs: Any) -> QuerySet[Any]:
        locking.append(select_for_update(self, *args, **kwargs))
        return locking[-1]

    monkeypatch.setattr(QuerySet, "select_for_update", recorded)
    return locking
