"""The Django start every bench that makes its own rows shares (bench_sweeps, bench_reconcile,
bench_lease_sweep, bench_audit_chain, bench_provisioning).

Settings as development runs them unless the environment says otherwise: a temporary
PORTAL_VAR_DIR (so the SQLite database, when DATABASE_URL is unset, is a throwaway one), DEBUG
on, ``config.settings``; then ``django.setup()`` and ``migrate`` (the benches add rows to an
empty database). The project root goes on ``sys.path`` so the apps import from ``bench/``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def django_start(prefix: str, *, migrate: bool = True) -> None:
    """Set up Django for a bench; ``prefix`` names its temporary var directory."""
    os.environ.setdefault("PORTAL_VAR_DIR", tempfile.mkdtemp(prefix=f"{prefix}-"))
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def database_create_missing() -> None:
    """PostgreSQL: create the database named in DATABASE_URL when it does not exist."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
