"""The audit trail's hash chain (portal/audit_chain.py): two columns, filled in for past events.

The fill-in updates rows, which the append-only triggers refuse: on PostgreSQL the migration (run
as the table's owner) disables the update trigger for its own transaction's work and enables it
again; on SQLite adding a column rebuilds the table, which drops the trigger, so it is created
again afterwards.

On PostgreSQL, appending goes through portal_auditevent_chain_next(): the advisory lock, the next
id and the head's hash in one round trip. The head is read after the lock because a VOLATILE
function takes a fresh snapshot for each query it runs (PostgreSQL docs, "Function Volatility
Categories"), so it sees the previous lock holder's committed row. It runs as its caller
(SECURITY INVOKER): the app role's SELECT on the table and USAGE on the sequence.
"""

from django.db import migrations, models

from portal.audit_chain import ADVISORY_LOCK_KEY, CHAIN_FIELDS, GENESIS, chain_hash

SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS portal_auditevent_no_update BEFORE UPDATE ON portal_auditevent
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
"""

PG_CHAIN_NEXT = f"""
CREATE OR REPLACE FUNCTION portal_auditevent_chain_next(OUT next_id bigint, OUT head text)
VOLATILE LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({ADVISORY_LOCK_KEY});
    next_id := nextval(pg_get_serial_sequence('portal_auditevent', 'id'));
    SELECT hash INTO head FROM portal_auditevent ORDER BY id DESC LIMIT 1;
END;
$$;
"""


def chain_next_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_CHAIN_NEXT)


def chain_next_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS portal_auditevent_chain_next()")


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    events = apps.get_model("portal", "AuditEvent").objects.using(connection.alias)
    if connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE portal_auditevent DISABLE TRIGGER portal_auditevent_no_update")
    elif connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS portal_auditevent_no_update")
    previous = GENESIS
    fields = [name for name in CHAIN_FIELDS if name != "prev_hash"]
    with connection.cursor() as cursor:
        for values in events.order_by("id").values_list(*fields).iterator(chunk_size=2000):
            record = {**dict(zip(fields, values, strict=True)), "prev_hash": previous}
            digest = chain_hash(record)
            cursor.execute(
                "UPDATE portal_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                [previous, digest, record["id"]],
            )
            previous = digest
    if connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE portal_auditevent ENABLE TRIGGER portal_auditevent_no_update")
    elif connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


def restore_sqlite_trigger(apps, schema_editor):
    """Going back: removing the columns rebuilds the SQLite table again."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [("portal", "0005_api_tokens_hashed")]
    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_trigger),
        migrations.AddField(
            model_name="auditevent", name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent", name="hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(chain_next_create, chain_next_drop),
    ]
