"""The audit trail's Object search is served by a trigram index on PostgreSQL (CI's database);
on SQLite (the default) the migration that adds it does nothing at all."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.db import connection

from portal.models import User
from portal.selectors import audit_events_for_user
from portal.services import audit_record

pytestmark = pytest.mark.django_db
MIGRATION = importlib.import_module("portal.migrations.0016_audit_object_trigram")


class _Recorder:
    """Stands in for the schema editor (SQLite's cannot open inside a test's transaction):
    records the statements the migration would run on this connection."""

    connection = connection

    def __init__(self) -> None:
        self.added: list[Any] = []

    def execute(self, sql: str, params: Any = None) -> None:
        self.added.append(sql)


def _would_add() -> list[str]:
    recorder = _Recorder()
    MIGRATION.forward(apps, recorder)
    return recorder.added


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "portal_auditevent")
    return {name for name, info in constraints.items() if info["index"]}


def test_the_object_search_uses_the_trigram_index_on_postgresql_and_nothing_else_changes(
    auditor: User,
) -> None:
    for i in range(200):
        audit_record(action="request.created", actor_username=f"user{i}", data={"n": i},
                     obj=auditor if i % 20 == 0 else None)
    if connection.vendor == "postgresql":
        assert MIGRATION.INDEX_NAME in _indexes()
        added = " ".join(_would_add())
        assert "gin_trgm_ops" in added and "UPPER(object_repr)" in added
        events = audit_events_for_user(user=auditor, obj="REQ-10").order_by()
        query, params = events.query.sql_with_params()
        with connection.cursor() as cursor:
            # Few rows: the planner would rightly read them all; forbid that to see the index
            # is usable by the icontains expression at all.
            cursor.execute("SET LOCAL enable_seqscan = off")
            # ...and a full walk of another index (the planner's next cheapest way to read
            # every row): what is left is a bitmap scan of the indexes the filter can use.
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute(f"EXPLAIN {query}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert MIGRATION.INDEX_NAME in plan and MIGRATION.ID_INDEX_NAME in plan, plan
    else:
        assert connection.vendor == "sqlite"
        assert _would_add() == []  # nothing added: a no-op
        assert MIGRATION.INDEX_NAME not in _indexes()
        # The search itself finds the same rows without the index (any case, any part).
        assert audit_events_for_user(user=auditor, obj=str(auditor)[1:-1].upper()).count() == 10
