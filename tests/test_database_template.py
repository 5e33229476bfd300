"""The test database every test works on is fully migrated; under pytest-xdist each process
works on its own clone of the run's one migrated template (tests/database_template.py)."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests import database_template

pytestmark = pytest.mark.django_db


def test_the_test_database_has_every_migration_applied() -> None:
    executor = MigrationExecutor(connection)

    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    assert executor.loader.applied_migrations


def test_an_xdist_process_works_on_its_own_clone_of_the_runs_template(
        request: pytest.FixtureRequest) -> None:
    tag = os.environ.get(database_template.TEMPLATE_VARIABLE)
    worker = getattr(request.config, "workerinput", {}).get("workerid")
    name = str(connection.settings_dict["NAME"])
    if not (tag and worker):  # a run in one process migrates its own test database, no clone
        assert not tag and "_gw" not in name
        return
    assert tag in name and name.endswith(f"_{worker}.sqlite3" if connection.vendor == "sqlite"
                                         else f"_{worker}")
