"""tests/rows_snapshot.py: a set-up's rows put back are the rows it would have made."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from catalog.models import Product, SyncRun
from portal.audit_chain import chain_verify
from portal.management.commands.audit_verify import database_rows
from portal.models import AuditEvent, Project
from portal.services import audit_record
from tests.catalog.conftest import demo_catalog_build
from tests.catalog.factories import product_make
from tests.rows_snapshot import RowsSnapshot, database_state

pytestmark = pytest.mark.django_db


class _Undo(Exception):
    """Rolls a savepoint back, as the end of a test rolls its transaction back."""


def _in_a_test_of_its_own(snapshot: RowsSnapshot, build: Callable[[], Any]) -> tuple[Any, ...]:
    """``apply`` in a savepoint undone afterwards; the database state it left."""
    with pytest.raises(_Undo), transaction.atomic():
        snapshot.apply("under test", build, lambda: None)
        state = database_state()
        raise _Undo
    return state


def _must_not_run() -> None:
    raise AssertionError("the set-up ran although its rows were kept")


def test_the_demo_catalog_put_back_is_what_the_real_sync_and_seeds_leave(project: Project) -> None:
    audit_record(action="test.before", data={"n": 1})  # the put-back events chain after it
    snapshot = RowsSnapshot()
    real = _in_a_test_of_its_own(snapshot, demo_catalog_build)
    assert snapshot.replayed == 0 and len(snapshot.made) == 1

    snapshot.apply("under test", _must_not_run, lambda: None)

    assert snapshot.replayed == 1
    assert database_state() == real
    assert Product.objects.filter(published=True).count() == 3
    assert SyncRun.objects.get().status == SyncRun.Status.SUCCEEDED
    report = chain_verify(database_rows())
    assert report.problem is None and report.rows == AuditEvent.objects.count() == 13


def test_a_different_starting_state_runs_the_set_up_for_real(project: Project) -> None:
    runs: list[int] = []

    def build() -> None:
        runs.append(1)
        SyncRun.objects.create(trigger=SyncRun.Trigger.COMMAND)

    snapshot = RowsSnapshot()
    _in_a_test_of_its_own(snapshot, build)
    product_make(project=project)
    snapshot.apply("under test", build, lambda: None)

    assert len(runs) == 2 and snapshot.replayed == 0 and len(snapshot.made) == 2


def test_a_set_up_that_changes_a_row_that_was_there_always_runs_for_real(
        project: Project) -> None:
    runs: list[int] = []

    def build() -> None:
        runs.append(1)
        Project.objects.filter(pk=project.pk).update(name="Renamed")

    snapshot = RowsSnapshot()
    _in_a_test_of_its_own(snapshot, build)
    snapshot.apply("under test", build, lambda: None)

    assert len(runs) == 2 and snapshot.replayed == 0
    assert Project.objects.get(pk=project.pk).name == "Renamed"


def test_a_set_up_whose_rows_name_a_row_that_was_there_always_runs_for_real(
        project: Project) -> None:
    runs: list[int] = []

    def build() -> None:
        runs.append(1)
        audit_record(action="test.project", project=project)

    snapshot = RowsSnapshot()
    _in_a_test_of_its_own(snapshot, build)
    snapshot.apply("under test", build, lambda: None)

    assert len(runs) == 2 and snapshot.replayed == 0
    assert AuditEvent.objects.get().project == project


def test_put_back_rows_are_dated_as_though_made_now(project: Project,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    made_at = timezone.now()

    def build() -> None:
        SyncRun.objects.create(trigger=SyncRun.Trigger.COMMAND, started_at=made_at)

    snapshot = RowsSnapshot()
    _in_a_test_of_its_own(snapshot, build)
    later = timezone.now() + datetime.timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    snapshot.apply("under test", _must_not_run, lambda: None)

    started_at = SyncRun.objects.get().started_at
    assert started_at is not None
    assert datetime.timedelta(hours=2) <= started_at - made_at < datetime.timedelta(hours=2,
                                                                                    minutes=1)
