"""Benchmark: what the hash chain costs audit_record, and how long audit_verify takes.

Into a throwaway SQLite database under a temporary PORTAL_VAR_DIR, or into DATABASE_URL when set
(use an empty, throwaway database: the script migrates it and adds rows).

* ``--appends N``: N audit_record calls, each its own transaction, with the chain (lock, head,
  id, hash) and then with the chain's work replaced by a stub (the plain insert it adds to).
* ``--rows N``: the trail filled to N events (chained in Python, inserted in batches), then
  ``manage.py audit_verify`` over all of them.

    .venv/bin/python bench/bench_audit_chain.py [--appends 2000] [--rows 100000]

Figures are in the README ("Benchmarks").
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench_django import django_start


def appends(count: int) -> dict[str, float]:
    from portal import models
    from portal.audit_chain import chain_link
    from portal.services import audit_record

    def stub(event: Any, *, using: str) -> None:
        event.prev_hash, event.hash = "", ""  # the unique constraints skip empty values

    def timed(label: str) -> list[float]:
        seconds = []
        for n in range(count):
            begin = time.perf_counter()
            audit_record(action="bench.append", actor_username="bench",
                         data={"n": n, "label": label})
            seconds.append(time.perf_counter() - begin)
        return seconds

    chained = timed("chained")
    models.chain_link = stub  # type: ignore[assignment]
    try:
        plain = timed("plain")
    finally:
        models.chain_link = chain_link
        unchained_remove()
    return {"chained_median_ms": statistics.median(chained) * 1000,
            "chained_p99_ms": sorted(chained)[int(count * 0.99)] * 1000,
            "plain_median_ms": statistics.median(plain) * 1000,
            "plain_p99_ms": sorted(plain)[int(count * 0.99)] * 1000}


def unchained_remove() -> None:
    """The stub's rows are not in the chain: out of the way, around the append-only guard."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE portal_auditevent DISABLE TRIGGER USER")
        cursor.execute("DELETE FROM portal_auditevent WHERE hash = ''")
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE portal_auditevent ENABLE TRIGGER USER")


def fill(total: int) -> None:
    """Chained rows appended after the current head, in batches of plain INSERTs."""
    import json

    from django.db import connection, transaction

    from portal.audit_chain import GENESIS, chain_hash
    from portal.models import AuditEvent

    head = AuditEvent.objects.order_by("-id").values("id", "hash").first()
    next_id, previous = (head["id"] + 1, head["hash"]) if head else (1, GENESIS)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    have = AuditEvent.objects.count()
    columns = ("id", "at", "actor_username", "action", "object_type", "object_id",
               "object_repr", "data", "source_ip", "request_id", "prev_hash", "hash")
    insert = (f"INSERT INTO portal_auditevent ({', '.join(columns)}) "  # noqa: S608
              f"VALUES ({', '.join(['%s'] * len(columns))})")
    batch: list[list[object]] = []
    for offset in range(total - have):
        record = {"id": next_id, "at": start + timedelta(seconds=offset), "actor_id": None,
                  "actor_username": f"user{offset % 50}", "action": "bench.filled",
                  "object_type": "portal.project", "object_id": str(offset % 7),
                  "object_repr": "Bench project", "project_id": None,
                  "data": {"n": offset, "reason": "filled for the benchmark"},
                  "source_ip": "10.0.0.1", "request_id": f"req-{offset}", "prev_hash": previous}
        previous = chain_hash(record)
        batch.append([record[c] if c not in ("data", "hash") else
                      (json.dumps(record["data"]) if c == "data" else previous) for c in columns])
        next_id += 1
        if len(batch) == 5000:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(insert, batch)
            batch = []
    if batch:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(insert, batch)
    if connection.vendor == "postgresql":  # the sequence past the ids given here
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('portal_auditevent', 'id'), "
                           "(SELECT max(id) FROM portal_auditevent))")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=100_000)
    options = parser.parse_args(argv)
    django_start("bench-audit")
    from django.core.management import call_command
    from django.db import connection

    print(f"database: {connection.vendor}")
    if options.appends:
        figures = appends(options.appends)
        print(f"audit_record x {options.appends}: with the chain median "
              f"{figures['chained_median_ms']:.2f} ms, p99 {figures['chained_p99_ms']:.2f} ms; "
              f"without it median {figures['plain_median_ms']:.2f} ms, "
              f"p99 {figures['plain_p99_ms']:.2f} ms")
    if options.rows:
        begin = time.monotonic()
        fill(options.rows)
        print(f"filled to {options.rows} events in {time.monotonic() - begin:.1f} s")
        out, err = io.StringIO(), io.StringIO()
        begin = time.monotonic()
        call_command("audit_verify", stdout=out, stderr=err)
        print(f"audit_verify: {time.monotonic() - begin:.1f} s: {out.getvalue().strip()}")


if __name__ == "__main__":
    main()
