"""Statements every request runs, compiled from their querysets once per process.

Loading the session, fetching the signed-in person and counting the menu badge run on every
page; building and compiling their querysets was a quarter of the frame's CPU, more than the
statements' own round trips (issue 16). A ``Statement`` compiles its queryset once per database,
with a marker value in each of its slots, and afterwards runs the same SQL with the request's
values in those parameters: the querysets (and so the scoping) stay the selectors' and the ORM's,
only their compilation is kept.

A slot's value is prepared by the field it is compared with, as the ORM's lookup does. A
queryset whose SQL text depends on a slot's value (not only its parameters) must not be kept:
compiling refuses a marker found in the SQL text or missing from the parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Field, Model, QuerySet

# Values no real row holds, within every integer column's range (an out-of-range value would
# change the SQL: Django compiles such a comparison to an empty result).
MARKER_ID = 2_000_000_011
MARKER_TEXT = "portal-statement-marker-7f3a9c"


@dataclass(frozen=True)
class Slot:
    """A parameter filled per run: ``field`` prepares the value; ``marker`` stands in for it
    while the queryset is compiled (it must not equal any other parameter)."""

    field: Field[Any, Any]
    marker: Any


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str], ...]  # (parameter position, slot name)
    columns: tuple[str, ...]  # the selected fields' attnames (a model's columns)
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]


class Statement:
    """The SQL of ``build(**markers)``, compiled once per database and run with new values."""

    def __init__(self, build: Callable[..., QuerySet[Any]], **slots: Slot) -> None:
        self._build = build
        self._slots = slots
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, using: str) -> _Compiled:
        compiled = self._compiled.get(using)
        if compiled is not None:
            return compiled
        connection = connections[using]
        queryset = self._build(**{name: slot.marker for name, slot in self._slots.items()})
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        positions: list[tuple[int, str]] = []
        for name, slot in self._slots.items():
            marker = slot.field.get_db_prep_value(slot.marker, connection, prepared=False)
            found = [(i, name) for i, value in enumerate(params)
                     if type(value) is type(marker) and value == marker]
            if not found or str(slot.marker) in sql:
                raise ValueError(f"slot {name!r} is not a parameter of the statement")
            positions.extend(found)
        expressions = [column[0] for column in compiler.select]
        converters = compiler.get_converters(expressions)
        compiled = _Compiled(
            sql=sql, params=tuple(params), slots=tuple(positions),
            columns=tuple(getattr(getattr(e, "target", None), "attname", "") for e in expressions),
            converters=tuple((i, tuple(convs), e) for i, (convs, e) in converters.items()))
        self._compiled[using] = compiled
        return compiled

    def sql(self, *, using: str = "default", **values: Any) -> tuple[str, list[Any]]:
        """The statement's SQL and its parameters with ``values`` in the slots."""
        compiled = self._compile(using)
        connection = connections[using]
        params = list(compiled.params)
        for position, name in compiled.slots:
            params[position] = self._slots[name].field.get_db_prep_value(
                values[name], connection, prepared=False)
        return compiled.sql, params

    def rows(self, *, using: str = "default", **values: Any) -> list[list[Any]]:
        """The rows the queryset would read, each value converted as the ORM converts it."""
        sql, params = self.sql(using=using, **values)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = [list(row) for row in cursor.fetchall()]
        for converted in rows:
            for position, convs, expression in self._compile(using).converters:
                for conv in convs:
                    converted[position] = conv(converted[position], expression, connection)
        return rows

    def instances(self, model: type[Model], *, using: str = "default",
                  **values: Any) -> list[Any]:
        """The rows as ``model`` instances (the queryset selects the model's columns)."""
        columns = list(self._compile(using).columns)
        return [model.from_db(using, columns, row)
                for row in self.rows(using=using, **values)]

    def instances_annotated(self, model: type[Model], *, using: str = "default",
                            **values: Any) -> list[tuple[Any, list[Any]]]:
        """The rows as ``model`` instances, each with the values of the columns the queryset
        selects after the model's own (its annotations, in their order)."""
        columns = self._compile(using).columns
        width = next((i for i, name in enumerate(columns) if not name), len(columns))
        return [(model.from_db(using, list(columns[:width]), row[:width]), row[width:])
                for row in self.rows(using=using, **values)]


def model_columns(model: type[Model], *only: str) -> list[str]:
    """The model's columns (``only`` these, when given), in the order ``Model.from_db`` takes
    them: what a statement's ``values_list`` reads to build instances from its rows."""
    return [f.attname for f in model._meta.concrete_fields if not only or f.attname in only]
