"""One migrated test database per run, cloned for each pytest-xdist process.

Migrating a test database costs about 10 s of CPU (Django renders the model states of the ~100
migrations), and `make pytest` used to pay it in each of its processes at once. Under xdist the
first process to take the run's lock migrates a template database; every process (that one
included) then clones it under the lock: a file copy on SQLite (Django's ``clone_test_db``, the
one its own parallel test runner uses), ``CREATE DATABASE … TEMPLATE`` on PostgreSQL (which
wants no session on the template: each process closes its connection before cloning). The
controller names the template for the run (``TEMPLATE_VARIABLE``, inherited by the processes it
starts) and drops it when the run ends.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.backends.base.creation import TEST_DATABASE_PREFIX

TEMPLATE_VARIABLE = "PORTAL_TEST_TEMPLATE_DATABASE"


def template_tag_for_run() -> str:
    """The run's template: named after the controller, so two runs on one machine never meet."""
    return f"template_{os.getpid()}"


def template_name(tag: str) -> str:
    """The template database's name: next to the usual test database (a file on SQLite)."""
    test_name = connection.settings_dict["TEST"]["NAME"] or (
        TEST_DATABASE_PREFIX + connection.settings_dict["NAME"])
    if connection.vendor == "sqlite":
        return str(Path(test_name).with_name(f"test-portal-{tag}.sqlite3"))
    return f"{test_name}_{tag}"


def _ready_marker(tag: str) -> Path:
    return Path(tempfile.gettempdir()) / f"portal-test-{tag}.ready"


def clone_for_process(*, tag: str, worker: str, verbosity: int) -> str:
    """Make this process's test database a clone of the run's template (migrating the template
    first if no process has yet); return the database name to restore at the end."""
    old_name = str(connection.settings_dict["NAME"])
    template = template_name(tag)
    lock = Path(tempfile.gettempdir()) / f"portal-test-{tag}.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        connection.settings_dict["TEST"]["NAME"] = template
        if _ready_marker(tag).exists():
            connection.settings_dict["NAME"] = template
        else:
            connection.creation.create_test_db(verbosity=verbosity, autoclobber=True,
                                               serialize=False)
            _ready_marker(tag).touch()
        connection.close()  # SQLite folds its WAL back into the file; PostgreSQL frees the template
        connection.creation.clone_test_db(suffix=worker, verbosity=verbosity)
    clone = connection.creation.get_test_db_clone_settings(worker)["NAME"]
    connection.settings_dict["NAME"] = settings.DATABASES[connection.alias]["NAME"] = clone
    return old_name


def destroy_clone(*, old_name: str, verbosity: int) -> None:
    connection.creation.destroy_test_db(old_name, verbosity=verbosity)


def drop_template(tag: str) -> None:
    """At the end of the run (in the controller): the template and the run's marker files."""
    if not _ready_marker(tag).exists():
        return
    name = template_name(tag)
    if connection.vendor != "sqlite" or Path(name).exists():
        old_name = str(connection.settings_dict["NAME"])
        connection.settings_dict["NAME"] = name
        connection.creation.destroy_test_db(old_name, verbosity=0)
    _ready_marker(tag).unlink(missing_ok=True)
    (Path(tempfile.gettempdir()) / f"portal-test-{tag}.lock").unlink(missing_ok=True)
