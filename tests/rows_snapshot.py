"""The rows a set-up fixture adds, made for real once per process and put back by bulk insert.

The catalog sync through the fake AWS (and the demo seeds after it) is the set-up of ~150 tests
whose subject is not the sync: about 0.27 s of CPU each. ``RowsSnapshot.apply(key, build)`` runs
``build`` for real the first time it meets a database state, records the rows it added to every
table, and for a later test on the same state inserts those rows again (same primary keys, one
``bulk_create`` a table) instead of running it. The tests whose subject is the sync call it
directly and always run it; each process still runs the real set-up at least once.

It is put back only where it would have done the same:

* the state it starts from is the same: every table's rows (except Django's content types and
  permissions, which migrations make) compared without their ids (a foreign key compared by the
  rank of the row it names), without their date-times; the same settings and environment;
* ``build`` only added rows: none changed or deleted (else it always runs for real);
* the rows it added name no row that was there before (else it always runs for real), so the
  ids it gave keep meaning the same rows.

Date-times of the rows put back are moved by the time passed since they were made, as though
they were made now. Audit events are appended one at a time through their own ``save`` (the
hash chain links them after what the test's database holds), in their order; nothing refers to
them by id. What ``build`` left outside the database (the process's cache of assumed-role
credentials) is not put back: a test after a put-back set-up assumes its role again.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from portal.models import AuditEvent

# Made by migrations, never by a set-up: left out of the comparison (hundreds of rows).
_NOT_COMPARED = ("contenttypes.ContentType", "auth.Permission", "sessions.Session")
# An audit event's links hash its time: compared without them, as the times.
_CHAIN = ("prev_hash", "hash")


def _tables() -> list[type[models.Model]]:
    return [model for model in apps.get_models(include_auto_created=True)
            if not model._meta.proxy and model._meta.managed]


def _columns(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def _rows(model: type[models.Model]) -> list[dict[str, Any]]:
    return list(model._base_manager.order_by("pk").values(*_columns(model)))


def _pk(model: type[models.Model]) -> str:
    pk = model._meta.pk
    assert pk is not None
    return pk.attname


def _foreign_keys(model: type[models.Model]) -> dict[str, type[models.Model]]:
    found = {}
    for f in model._meta.concrete_fields:
        if f.is_relation and f.related_model is not None and not isinstance(f.related_model, str):
            found[f.attname] = f.related_model
    return found


def database_state() -> tuple[Any, ...]:
    """Every table's rows as ``apply`` compares them (its tests compare put-back and real)."""
    return _state({model: _rows(model) for model in _tables()})


def _state(rows: dict[type[models.Model], list[dict[str, Any]]]) -> tuple[Any, ...]:
    """The tables' contents without ids and date-times; a foreign key as its target's rank."""
    rank = {model: {row[_pk(model)]: n for n, row in enumerate(table)}
            for model, table in rows.items()}
    state = []
    for model, table in sorted(rows.items(), key=lambda item: item[0]._meta.label):
        if model._meta.label in _NOT_COMPARED:
            continue
        keys = _foreign_keys(model)
        pk = _pk(model)
        normalised = []
        for row in table:
            values = []
            for name, value in row.items():
                if name == pk or isinstance(value, datetime.datetime) or (
                        model is AuditEvent and name in _CHAIN):
                    continue
                if name in keys and value is not None:
                    value = ("rank", rank.get(keys[name], {}).get(value))
                values.append((name, repr(value)))
            normalised.append(tuple(values))
        state.append((model._meta.label, tuple(normalised)))
    return tuple(state)


def _world() -> tuple[Any, ...]:
    """What else a set-up reads: the settings and the environment (the current test aside)."""
    names = sorted(name for name in dir(settings) if name.isupper())
    environ = sorted((k, v) for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST")
    return (tuple((name, repr(getattr(settings, name))) for name in names), tuple(environ))


@dataclass
class _Made:
    at: datetime.datetime
    rows: list[tuple[type[models.Model], list[dict[str, Any]]]]
    result: Callable[[], Any]


@dataclass
class RowsSnapshot:
    """A set-up's added rows per starting state, kept for the life of the process."""

    made: dict[tuple[Any, ...], _Made | None] = field(default_factory=dict)
    replayed: int = 0

    def apply(self, key: str, build: Callable[[], Any], result: Callable[[], Any]) -> Any:
        """Run ``build`` or put its rows back; return ``result()`` (read after either)."""
        before = {model: _rows(model) for model in _tables()}
        start = (key, _state(before), _world())
        if start in self.made:
            made = self.made[start]
            if made is not None:
                self._put_back(made)
                self.replayed += 1
                return made.result()
            build()
            return result()
        at = timezone.now()
        build()
        self.made[start] = self._added(before, at, result)
        return result()

    def _added(self, before: dict[type[models.Model], list[dict[str, Any]]],
               at: datetime.datetime, result: Callable[[], Any]) -> _Made | None:
        added: list[tuple[type[models.Model], list[dict[str, Any]]]] = []
        old_pks = {model: {row[_pk(model)] for row in rows} for model, rows in before.items()}
        for model, rows in before.items():
            now = _rows(model)
            pk = _pk(model)
            if [row for row in now if row[pk] in old_pks[model]] != rows:
                return None  # it changed or deleted a row that was there: always run it
            new = [row for row in now if row[pk] not in old_pks[model]]
            if new:
                added.append((model, new))
        for model, rows in added:
            for name, target in _foreign_keys(model).items():
                if any(row[name] in old_pks.get(target, set()) for row in rows):
                    return None  # names a row that was there before: its id may differ
                if target is AuditEvent and any(row[name] is not None for row in rows):
                    return None  # names an audit event, which gets a new id when put back
        return _Made(at=at, rows=_in_dependency_order(added), result=result)

    @staticmethod
    def _put_back(made: _Made) -> None:
        moved = timezone.now() - made.at
        with transaction.atomic():
            for model, rows in made.rows:
                shifted = [{name: value + moved if isinstance(value, datetime.datetime) else value
                            for name, value in row.items()} for row in rows]
                if model is AuditEvent:
                    for row in shifted:
                        AuditEvent(**{name: value for name, value in row.items()
                                      if name != "id" and name not in _CHAIN}).save()
                else:
                    model._base_manager.bulk_create([model(**row) for row in shifted])


def _in_dependency_order(
    added: list[tuple[type[models.Model], list[dict[str, Any]]]],
) -> list[tuple[type[models.Model], list[dict[str, Any]]]]:
    """Tables before the tables whose rows name them (the rows are the set-up's own)."""
    pending = dict(added)
    ordered: list[tuple[type[models.Model], list[dict[str, Any]]]] = []
    while pending:
        ready = [model for model in pending
                 if not any(target in pending and target is not model
                            for target in _foreign_keys(model).values())]
        if not ready:  # a cycle between two tables: keep the order the set-up wrote them in
            ready = list(pending)
        for model in sorted(ready, key=lambda m: m._meta.label):
            ordered.append((model, pending.pop(model)))
    return ordered
