"""Migrations 0006/0007: events written before the hash chain are chained, and stay guarded."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("portal", "0005_api_tokens_hashed")]
INSERT = """INSERT INTO portal_auditevent (at, actor_username, action, object_type, object_id,
    object_repr, data, source_ip, request_id) VALUES (%s, %s, %s, '', '', '', %s, %s, '')"""


def migrate(targets: list[tuple[str, str]] | None) -> None:
    """To ``targets``, or (None) forward to every app's latest migration: the later migrations
    must be back for the tests that share this database."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets if targets is not None else executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_events_from_before_the_chain_are_chained_and_still_append_only() -> None:
    migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            for n, ip in enumerate(["10.0.0.1", "2001:db8::1", None]):
                cursor.execute(INSERT, [f"2026-01-0{n + 1} 09:00:00.123456+00:00", f"u{n}",
                                        f"old.event{n}", json.dumps({"n": n, "x": 1.5}), ip])
    finally:
        migrate(None)  # through 0006/0007 and on
    out = io.StringIO()

    call_command("audit_verify", stdout=out, stderr=io.StringIO())

    assert "audit chain intact: 3 events" in out.getvalue()
    # The fill-in let its own updates through, then the guard is back (SQLite rebuilt the table).
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE portal_auditevent SET action = 'forged'")
