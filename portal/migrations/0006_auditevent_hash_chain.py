"""The audit trail's hash chain (portal/audit_chain.py): two columns, filled in for past events.

The fill-in updates rows, which the append-only triggers refuse: on PostgreSQL the migration (run
as the table's owner) disables the update trigger for its own transaction's work and enables it
again; on SQLite adding a column rebuilds the table, which drops the trigger, so it is created
again afterwards.
"""

from django.db import migrations, models

from portal.audit_chain import CHAIN_FIELDS, GENESIS, chain_hash

SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS portal_auditevent_no_update BEFORE UPDATE ON portal_auditevent
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
"""


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
    ]
