"""Many rows of one model into its table without a model instance per row (bench/volume.py).

``TableRows(Model, given)`` works out once, from the model, the database value of every column
the rows do not give (each field's default, ``auto_now``/``auto_now_add`` as ``now``); each row
is then a tuple of the ``given`` columns' values. On PostgreSQL the rows go in with one ``COPY``
per ``write`` (psycopg adapts UUIDs, datetimes, decimals and lists itself; JSON columns are
given as their JSON text), elsewhere with ``executemany``. Nothing here runs ``save()`` or
signals: for seeding a throwaway database only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any


class TableRows:
    def __init__(self, model: Any, given: Sequence[str], *, now: datetime) -> None:
        from django.db import connection

        self.connection = connection
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [name for name in given if name not in fields]
        if unknown:
            raise ValueError(f"{model.__name__} has no column {', '.join(unknown)}")
        self.table = model._meta.db_table
        self.given = tuple(given)
        self.json = {
            i for i, name in enumerate(given) if fields[name].get_internal_type() == "JSONField"
        }
        self.fixed: list[tuple[str, Any]] = []
        for name, field in fields.items():
            if name in given or (field.primary_key and not field.has_default()):
                continue  # given per row, or the database's own sequence
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value: Any = now
            elif field.has_default():
                value = field.get_default()
            elif field.null:
                value = None
            elif field.get_internal_type() in ("CharField", "TextField"):
                value = ""
            else:
                raise ValueError(f"{model.__name__}.{name} needs a value: give it per row")
            if field.get_internal_type() == "JSONField":
                value = json.dumps(value)  # the text either database stores
            self.fixed.append((field.column, value))
        self.columns = [fields[name].column for name in given] + [c for c, _ in self.fixed]

    def _row(self, values: Sequence[Any], fixed: tuple[Any, ...]) -> tuple[Any, ...]:
        if self.json:
            values = [json.dumps(v) if i in self.json else v for i, v in enumerate(values)]
        return (*values, *fixed)

    def write(self, rows: Iterable[Sequence[Any]]) -> int:
        """Insert ``rows`` (tuples in the order of ``given``); returns how many."""
        quoted = ", ".join(self.connection.ops.quote_name(c) for c in self.columns)
        table = self.connection.ops.quote_name(self.table)
        count = 0
        if self.connection.vendor == "postgresql":
            fixed = tuple(v for _, v in self.fixed)
            with (
                self.connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy,
            ):
                for values in rows:
                    copy.write_row(self._row(values, fixed))
                    count += 1
            return count
        prepared = [(self._sqlite(v)) for _, v in self.fixed]
        marks = ", ".join("%s" for _ in self.columns)
        batch = [(*(self._sqlite(v) for v in self._row(values, ())), *prepared) for values in rows]
        with self.connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({quoted}) VALUES ({marks})",  # noqa: S608
                batch,
            )
        return len(batch)

    def _sqlite(self, value: Any) -> Any:
        """What Django's SQLite backend stores for a Python value."""
        if hasattr(value, "hex") and hasattr(value, "int"):  # a UUID: 32 hex characters
            return value.hex
        if isinstance(value, datetime):
            return self.connection.ops.adapt_datetimefield_value(value)
        return value


@contextmanager
def indexes_built_after(*tables: str) -> Iterator[None]:
    """PostgreSQL: the tables' secondary indexes dropped for a bulk load and built again after
    it. Building an index over the loaded rows is much cheaper than updating it row by row
    (above all the audit trail's trigram GIN index). Call it inside ``transaction.atomic()``:
    PostgreSQL's DDL is transactional, so a load that fails leaves every index as it was.
    Indexes behind a constraint (the primary key, UNIQUE constraints) stay. Other databases:
    nothing changes."""
    from django.db import connection

    if connection.vendor != "postgresql" or not tables:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("indexes_built_after needs a transaction: the load must be atomic")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [list(tables)],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        # The rows' deferred foreign-key checks run now (an index cannot be built over a
        # table with pending trigger events), then the constraints are deferred again.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            cursor.execute(definition)
