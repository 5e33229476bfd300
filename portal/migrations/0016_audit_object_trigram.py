"""The audit trail's *Object* search (``object_repr__icontains``) through a trigram index.

PostgreSQL only: ``pg_trgm`` (a trusted extension since PostgreSQL 13: the database owner role may
create it) and a GIN index of trigrams. Django compiles ``icontains`` on PostgreSQL to
``UPPER("object_repr"::text) LIKE UPPER('%…%')``, so the index is on that expression, not on the
bare column (``GinIndex(opclasses=…)`` takes columns only, and would not serve ``UPPER``): a
``LIKE '%x%'`` no B-tree can serve then becomes a bitmap index scan instead of a sequential scan
of the whole trail (PostgreSQL docs, pg_trgm, "Index Support": GIN trigram indexes support
LIKE/ILIKE). SQLite has neither; there the migration does nothing (tests/portal check both).
"""

from django.db import migrations

INDEX_NAME = "portal_audit_repr_trgm"
# The expression in its own parentheses, then the operator class (CREATE INDEX syntax). Written
# out because Django's GinIndex(OpClass(Upper(...))) nests one pair too many for PostgreSQL here.
PG_FORWARD = (f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON portal_auditevent "
              "USING gin ((UPPER(object_repr)) gin_trgm_ops)")
# The search is ``object_repr icontains X OR object_id = X``: for the OR to be a BitmapOr of two
# index scans rather than a scan of the trail, object_id needs an index of its own (the
# (object_type, object_id) index does not serve object_id alone).
ID_INDEX_NAME = "portal_audit_object_id"
PG_ID_FORWARD = f"CREATE INDEX IF NOT EXISTS {ID_INDEX_NAME} ON portal_auditevent (object_id)"
PG_BACKWARD = f"DROP INDEX IF EXISTS {INDEX_NAME}"
PG_ID_BACKWARD = f"DROP INDEX IF EXISTS {ID_INDEX_NAME}"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(PG_FORWARD)
        schema_editor.execute(PG_ID_FORWARD)


def backward(apps, schema_editor):
    # The extension stays: other objects may use it, and it holds no data.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
        schema_editor.execute(PG_ID_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("portal", "0015_project_leaver_policy")]
    # Not django.contrib.postgres's TrigramExtension: its backwards step looks the extension up
    # in pg_extension on any database, and fails on SQLite when migrating back.
    operations = [migrations.RunPython(forward, backward)]
