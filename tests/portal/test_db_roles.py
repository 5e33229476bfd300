"""The app's database role cannot rewrite the audit trail (PostgreSQL, whatever the suite uses).

A throw-away database and two throw-away roles on the machine's PostgreSQL: migrations run as
the owner role, ``manage.py db_roles`` grants the app role, then the app role is refused every
way around the append-only triggers, while the portal itself (audit_record, audit_verify)
works as that role.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

ROOT = Path(__file__).resolve().parents[2]
SERVER = "127.0.0.1:5432"  # trust authentication on this machine; the superuser is postgres


@dataclass(frozen=True)
class Roles:
    database: str
    owner: str
    app: str

    def url(self, role: str) -> str:
        return f"postgres://{role}@{SERVER}/{self.database}"


def admin(sql: str) -> None:
    with psycopg.connect(f"postgres://postgres@{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(sql)  # type: ignore[arg-type]


def manage(roles: Roles, role: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": roles.url(role),
           "DJANGO_SETTINGS_MODULE": "tests.settings"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def roles() -> Iterator[Roles]:
    suffix = f"{os.getpid()}"
    made = Roles(database=f"h_audit_roles_{suffix}", owner=f"h_audit_owner_{suffix}",
                 app=f"h_audit_app_{suffix}")
    admin(f"DROP DATABASE IF EXISTS {made.database} WITH (FORCE)")
    for role in (made.app, made.owner):
        admin(f"DROP ROLE IF EXISTS {role}")
    admin(f"CREATE ROLE {made.owner} LOGIN")
    admin(f"CREATE ROLE {made.app} LOGIN")
    admin(f"CREATE DATABASE {made.database} OWNER {made.owner}")
    try:
        migrated = manage(made, made.owner, "migrate", "--noinput")
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        granted = manage(made, made.owner, "db_roles", "--app-role", made.app)
        assert granted.returncode == 0, granted.stderr[-3000:]
        assert granted.stdout.strip().endswith("on the audit trail only SELECT, INSERT")
        yield made
    finally:
        admin(f"DROP DATABASE IF EXISTS {made.database} WITH (FORCE)")
        for role in (made.app, made.owner):
            admin(f"DROP ROLE IF EXISTS {role}")


@pytest.fixture
def as_app(roles: Roles) -> Iterator[psycopg.Connection]:
    with psycopg.connect(roles.url(roles.app), autocommit=True) as connection:
        yield connection


FORBIDDEN = {
    "update": "UPDATE portal_auditevent SET action = 'forged'",
    "delete": "DELETE FROM portal_auditevent",
    "truncate": "TRUNCATE portal_auditevent",
    "disable trigger": "ALTER TABLE portal_auditevent DISABLE TRIGGER portal_auditevent_no_update",
    "disable all triggers": "ALTER TABLE portal_auditevent DISABLE TRIGGER ALL",
    "drop trigger": "DROP TRIGGER portal_auditevent_no_update ON portal_auditevent",
    "drop table": "DROP TABLE portal_auditevent",
    "create trigger": "CREATE TRIGGER sneak BEFORE INSERT ON portal_auditevent "
                      "FOR EACH ROW EXECUTE FUNCTION portal_auditevent_append_only()",
    "skip triggers (replica mode)": "SET session_replication_role = replica",
    "rewind the id sequence": "SELECT setval(pg_get_serial_sequence('portal_auditevent', 'id'), 1)",
}


@pytest.mark.parametrize("statement", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_the_app_role_cannot_rewrite_the_audit_trail(
    as_app: psycopg.Connection, statement: str
) -> None:
    with pytest.raises(errors.InsufficientPrivilege):
        as_app.execute(statement)  # type: ignore[arg-type]


def test_the_app_role_cannot_grant_itself_more(as_app: psycopg.Connection) -> None:
    as_app.execute("GRANT UPDATE, DELETE, TRUNCATE ON portal_auditevent TO CURRENT_USER")

    held = as_app.execute(
        "SELECT p FROM unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER']) AS p "
        "WHERE has_table_privilege('portal_auditevent', p)").fetchall()
    assert held == []  # PostgreSQL only warned: "no privileges were granted"


def test_the_owner_role_could_which_is_why_the_app_does_not_use_it(roles: Roles) -> None:
    with psycopg.connect(roles.url(roles.owner)) as connection:  # one transaction, rolled back
        connection.execute("ALTER TABLE portal_auditevent DISABLE TRIGGER USER")
        connection.execute("TRUNCATE portal_auditevent")
        connection.rollback()


def test_the_app_role_reads_and_appends_through_the_portal(roles: Roles) -> None:
    """audit_record from four threads at once, then audit_verify, all as the app role."""
    script = (
        "import threading\n"
        "from django.db import connections\n"
        "from django.core.management import call_command\n"
        "from portal.services import audit_record\n"
        "def write(n):\n"
        "    for step in range(5):\n"
        "        audit_record(action='test.app_role', data={'writer': n, 'step': step})\n"
        "    connections.close_all()\n"
        "threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "call_command('audit_verify')\n"
    )
    result = manage(roles, roles.app, "shell", "-c", script)

    assert result.returncode == 0, result.stderr[-3000:]
    assert "audit chain intact: 20 events" in result.stdout


def test_the_app_role_reads_and_writes_the_other_tables(as_app: psycopg.Connection) -> None:
    as_app.execute("UPDATE portal_project SET name = name WHERE false")
    as_app.execute("DELETE FROM django_session WHERE false")
    assert as_app.execute("SELECT count(*) FROM portal_auditevent").fetchone() is not None
    with pytest.raises(errors.InsufficientPrivilege):
        as_app.execute("DELETE FROM django_migrations")


def test_tables_made_by_later_migrations_are_granted_to_the_app_role(
    roles: Roles, as_app: psycopg.Connection
) -> None:
    with psycopg.connect(roles.url(roles.owner), autocommit=True) as owner:
        owner.execute("CREATE TABLE h_later (id serial PRIMARY KEY, name text)")
    try:
        as_app.execute("INSERT INTO h_later (name) VALUES ('x')")
        assert as_app.execute("SELECT name FROM h_later").fetchone() == ("x",)
    finally:
        with psycopg.connect(roles.url(roles.owner), autocommit=True) as owner:
            owner.execute("DROP TABLE h_later")


def test_db_roles_refuses_an_app_role_that_could_rewrite_the_trail(roles: Roles) -> None:
    superuser = manage(roles, roles.owner, "db_roles", "--app-role", "postgres")
    owner = manage(roles, roles.owner, "db_roles", "--app-role", roles.owner)
    missing = manage(roles, roles.owner, "db_roles", "--app-role", "h_audit_nobody")

    assert superuser.returncode == 1
    assert "is a superuser" in superuser.stderr
    assert owner.returncode == 1
    assert "must be a different role" in owner.stderr
    assert missing.returncode == 1
    assert "there is no role 'h_audit_nobody'" in missing.stderr
