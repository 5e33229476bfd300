"""`manage.py audit_verify`: the hash chain proves the trail, and its export, unaltered.

Tampering goes around the append-only triggers the way an attacker with the owner role (or a
superuser) could: PostgreSQL's DISABLE TRIGGER, SQLite's DROP TRIGGER, both rolled back with the
test's transaction.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.test import Client

from portal.audit_chain import GENESIS, chain_hash
from portal.models import AuditEvent, Project, User
from portal.services import audit_record

SQLITE_TRIGGER = """CREATE TRIGGER portal_auditevent_no_update BEFORE UPDATE ON portal_auditevent
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;"""

Tamper = Callable[[str, list[object]], None]


@pytest.fixture
def tamper(db: None) -> Iterator[Tamper]:
    """Run SQL on the audit table with its triggers out of the way."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The trail's inserts left deferred foreign-key checks, which ALTER TABLE refuses.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE portal_auditevent DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER portal_auditevent_no_update")

    def run(sql: str, params: list[object]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    yield run
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE portal_auditevent ENABLE TRIGGER USER")
        else:
            cursor.execute(SQLITE_TRIGGER)


@pytest.fixture
def trail(scientist: User, project: Project) -> list[AuditEvent]:
    return [
        audit_record(action="auth.sign_in", actor=scientist, data={"method": "saml"}),
        audit_record(action="project.changed", actor=scientist, obj=project, project=project,
                     data={"budget": 3000.0, "tags": ["a", "ü"], "ratio": 0.1}),
        audit_record(action="=HYPERLINK(1)", actor_username="'quoted"),
        audit_record(action="request.approved", actor=scientist, project=project),
        audit_record(action="auth.sign_out", actor=scientist),
    ]


def verify(*args: str) -> str:
    out = io.StringIO()
    call_command("audit_verify", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def verify_fails(*args: str) -> str:
    with pytest.raises(CommandError) as failure:
        verify(*args)
    assert failure.value.returncode == 1
    return str(failure.value)


def test_each_event_links_to_the_hash_of_the_one_before(trail: list[AuditEvent]) -> None:
    stored = list(AuditEvent.objects.order_by("id").values("id", "prev_hash", "hash"))
    assert stored[0]["prev_hash"] == GENESIS
    for before, after in zip(stored, stored[1:], strict=False):
        assert after["prev_hash"] == before["hash"]
        assert after["id"] > before["id"]
    assert len({row["hash"] for row in stored}) == len(trail)


def test_an_untouched_trail_verifies_and_names_its_head(trail: list[AuditEvent]) -> None:
    out = verify()

    assert "audit chain intact: 5 events" in out
    assert f"head hash {trail[-1].hash}" in out


def test_an_empty_trail_verifies(db: None) -> None:
    assert "no audit events" in verify()


def test_a_changed_row_is_named(trail: list[AuditEvent], tamper: Tamper) -> None:
    tamper("UPDATE portal_auditevent SET action = %s WHERE id = %s", ["forged", trail[2].pk])

    message = verify_fails()

    assert f"after 2 good events: row {trail[2].pk}: its content does not match" in message


def test_a_changed_data_value_is_named(trail: list[AuditEvent], tamper: Tamper) -> None:
    tamper("UPDATE portal_auditevent SET data = %s WHERE id = %s",
           ['{"budget": 9000, "tags": ["a", "ü"], "ratio": 0.1}', trail[1].pk])

    assert f"row {trail[1].pk}: its content does not match" in verify_fails()


def test_a_row_rehashed_after_a_change_breaks_the_next_link(
    trail: list[AuditEvent], tamper: Tamper
) -> None:
    """Recomputing the changed row's hash does not help: the next row still names the old one."""
    row = AuditEvent.objects.values().get(pk=trail[2].pk)
    forged = chain_hash({**row, "action": "forged"})
    tamper("UPDATE portal_auditevent SET action = %s, hash = %s WHERE id = %s",
           ["forged", forged, trail[2].pk])

    message = verify_fails()

    assert f"row {trail[3].pk}: prev_hash {trail[2].hash} is not the hash of row" in message


def test_a_deleted_row_is_named_by_the_row_after_it(
    trail: list[AuditEvent], tamper: Tamper
) -> None:
    tamper("DELETE FROM portal_auditevent WHERE id = %s", [trail[2].pk])

    message = verify_fails()

    assert f"row {trail[3].pk}: prev_hash" in message
    assert f"hash of row {trail[1].pk}" in message
    assert "removed, or rows were reordered" in message


def test_a_deleted_first_row_is_reported(trail: list[AuditEvent], tamper: Tamper) -> None:
    tamper("DELETE FROM portal_auditevent WHERE id = %s", [trail[0].pk])

    assert f"row {trail[1].pk} is the first row but does not start the chain" in verify_fails()


def test_reordered_rows_are_named(trail: list[AuditEvent], tamper: Tamper) -> None:
    first, second = trail[1].pk, trail[2].pk
    tamper("UPDATE portal_auditevent SET id = %s WHERE id = %s", [-1, first])
    tamper("UPDATE portal_auditevent SET id = %s WHERE id = %s", [first, second])
    tamper("UPDATE portal_auditevent SET id = %s WHERE id = %s", [second, -1])

    assert f"row {first}: prev_hash" in verify_fails()


def test_cut_off_last_events_show_against_a_recorded_head(
    trail: list[AuditEvent], tamper: Tamper
) -> None:
    head = trail[-1].hash
    assert "intact" in verify("--expect-hash", head)
    tamper("DELETE FROM portal_auditevent WHERE id >= %s", [trail[3].pk])

    assert "intact" in verify()  # what is left is a valid chain ...
    assert f"the hash {head} recorded earlier is not in the chain" in verify_fails(
        "--expect-hash", head)  # ... but not the one the auditor saw


def test_concurrent_writers_do_not_fork_the_chain(transactional_db: None) -> None:
    """Eight threads, each in its own transaction and connection, append at once."""
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            barrier.wait(timeout=20)
            for step in range(5):
                with transaction.atomic():
                    audit_record(action="test.concurrent", data={"writer": number, "n": step})
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert AuditEvent.objects.count() == 40
    assert "audit chain intact: 40 events" in verify()


# --- the export, verified offline --------------------------------------------------------------

def export(client: Client, auditor: User, tmp_path: Path, query: str = "") -> Path:
    client.force_login(auditor)
    response = client.get("/audit/export.csv" + query)
    assert response.status_code == 200
    path = tmp_path / "audit-trail.csv"
    path.write_bytes(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    return path


def rewrite(path: Path, change: Callable[[list[dict[str, str]]], None]) -> None:
    with path.open(newline="", encoding="utf-8-sig") as stream:
        reader = csv.DictReader(stream)
        fields, rows = reader.fieldnames, list(reader)
    change(rows)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=fields or [])
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.usefixtures("trail")
def test_an_export_verifies_offline(client: Client, auditor: User, tmp_path: Path) -> None:
    path = export(client, auditor, tmp_path, "?bom=1")

    out = verify("--file", str(path))

    # Every event, the export's own (audit.exported) and the sign-in before it included.
    assert f"audit chain intact: {AuditEvent.objects.count()} events" in out
    assert AuditEvent.objects.order_by("-id")[0].action == "audit.exported"
    assert f"head hash {AuditEvent.objects.order_by('-id')[0].hash}" in out


def test_an_export_with_a_changed_cell_fails_naming_the_row(
    trail: list[AuditEvent], client: Client, auditor: User, tmp_path: Path
) -> None:
    path = export(client, auditor, tmp_path)

    def change(rows: list[dict[str, str]]) -> None:
        row = next(r for r in rows if r["id"] == str(trail[1].pk))
        row["object"] = "Something else"

    rewrite(path, change)

    assert f"row {trail[1].pk}: its content does not match" in verify_fails("--file", str(path))


def test_an_export_with_a_missing_row_fails_naming_the_row(
    trail: list[AuditEvent], client: Client, auditor: User, tmp_path: Path
) -> None:
    path = export(client, auditor, tmp_path)
    rewrite(path, lambda rows: rows.remove(next(r for r in rows if r["id"] == str(trail[2].pk))))

    assert f"row {trail[3].pk}: prev_hash" in verify_fails("--file", str(path))


def test_a_filtered_export_is_not_taken_for_the_whole_trail(
    trail: list[AuditEvent], client: Client, auditor: User, tmp_path: Path
) -> None:
    path = export(client, auditor, tmp_path, "?action=auth.sign_out")

    assert "does not start the chain" in verify_fails("--file", str(path))
    assert "starting at a later event (partial)" in verify("--file", str(path), "--partial")


def test_a_file_that_is_not_an_export_is_refused(db: None, tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("name,value\nx,1\n")

    with pytest.raises(CommandError, match="the export has no column id"):
        verify("--file", str(path))


def test_values_the_database_rewrites_still_verify(db: None) -> None:
    """What comes back is hashed as it went in: IPv6 forms, integral or negative-zero floats,
    unicode, nested data (PostgreSQL's inet and jsonb normalise these)."""
    for ip in ("2001:0DB8:0000:0000:0000:0000:0000:0001", "::ffff:10.0.0.1", "fe80::1:0:0:1",
               "10.0.0.1", None):
        AuditEvent.objects.create(action="test.values", source_ip=ip, data={
            "big": 1e16, "whole": 2.0, "zero": -0.0, "small": 1.5e-07, "text": "ü\u2028\"'",
            "nested": {"b": [1, 2.5, {"c": None}], "a": True}})

    assert "audit chain intact: 5 events" in verify()
