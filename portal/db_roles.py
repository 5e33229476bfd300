"""PostgreSQL privileges for the portal's two database roles (``manage.py db_roles``).

The *owner* role runs migrations and owns every table. The *app* role is what web, worker and
beat connect as: read/write on the portal's tables, but only SELECT and INSERT on the audit
trail. PostgreSQL facts this relies on (docs: ALTER TABLE, DROP TRIGGER, TRUNCATE, GRANT):

- only a table's owner (or a superuser) may ALTER TABLE (so ``DISABLE TRIGGER``) or
  ``DROP TRIGGER``; membership in the owner role would count as owning, so it is refused;
- TRUNCATE needs the TRUNCATE privilege, which SELECT/INSERT do not include;
- a sequence's USAGE allows ``nextval``/``currval`` (inserts, the hash chain's id) but not
  ``setval`` (that needs UPDATE);
- ``ALTER DEFAULT PRIVILEGES FOR ROLE owner`` gives the app role its privileges on tables that
  later migrations create; running this again after every migrate keeps the audit table's
  restriction even if a migration recreated it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from portal.models import AuditEvent

TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
AUDIT_APP_PRIVILEGES = ("SELECT", "INSERT")


class DatabaseRoleError(Exception):
    """The roles cannot be set up as asked (wrong database, unsafe app role)."""


@dataclass(frozen=True)
class GrantReport:
    owner: str
    app_role: str
    schema: str
    tables: int
    audit_privileges: tuple[str, ...]


def _one(sql: str, params: list[str] | None = None) -> object:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        row = cursor.fetchone()
    return row[0] if row else None


def _app_role_check(app_role: str, owner: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s",
                       [app_role])
        row = cursor.fetchone()
    if row is None:
        raise DatabaseRoleError(f"there is no role {app_role!r}: create it first "
                                "(CREATE ROLE ... LOGIN PASSWORD ...; see README)")
    if app_role == owner:
        raise DatabaseRoleError(f"{app_role!r} is the role running this command, which owns the "
                                "tables: the app role must be a different role")
    if row[0]:
        raise DatabaseRoleError(f"{app_role!r} is a superuser: it could rewrite the audit trail")
    if _one("SELECT pg_has_role(%s, %s, 'MEMBER')", [app_role, owner]):
        raise DatabaseRoleError(f"{app_role!r} is a member of {owner!r}, so it holds the owner's "
                                "rights on the audit table: revoke that membership")


def app_role_grant(*, app_role: str) -> GrantReport:
    """Grant the app role what the portal needs, as the owner role; idempotent."""
    if connection.vendor != "postgresql":
        raise DatabaseRoleError("database roles apply to PostgreSQL only")
    owner = str(_one("SELECT current_user"))
    schema = str(_one("SELECT current_schema()"))
    _app_role_check(app_role, owner)
    audit_table = AuditEvent._meta.db_table
    if _one("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = %s::regclass",
            [audit_table]) != owner:
        raise DatabaseRoleError(f"run this as the role that owns {audit_table} (the one that "
                                "runs migrations)")
    quote = connection.ops.quote_name
    app, space = quote(app_role), quote(schema)
    statements = [
        f"GRANT USAGE ON SCHEMA {space} TO {app}",
        # From a clean slate, so a privilege granted by hand earlier does not linger.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {space} FROM {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {space} TO {app}",
        f"REVOKE INSERT, UPDATE, DELETE ON {quote('django_migrations')} FROM {app}",
        f"REVOKE UPDATE, DELETE ON {quote(audit_table)} FROM {app}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {space} FROM {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {space} TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote(owner)} IN SCHEMA {space} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote(owner)} IN SCHEMA {space} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s", [schema])
        tables = int(cursor.fetchone()[0])
    held = tuple(privilege for privilege in TABLE_PRIVILEGES
                 if _one("SELECT has_table_privilege(%s, %s, %s)",
                         [app_role, audit_table, privilege]))
    if held != AUDIT_APP_PRIVILEGES:  # e.g. granted to PUBLIC, which no REVOKE here removes
        raise DatabaseRoleError(f"{app_role!r} still holds {', '.join(held)} on {audit_table}; "
                                f"expected only {', '.join(AUDIT_APP_PRIVILEGES)}")
    return GrantReport(owner=owner, app_role=app_role, schema=schema, tables=tables,
                       audit_privileges=held)
