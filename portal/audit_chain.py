"""The audit trail's hash chain: each event carries the hash of the one before it.

An event's ``hash`` is the SHA-256 of a canonical serialization of its stored columns plus
``prev_hash`` (the previous event's ``hash``; the first event's is ``GENESIS``). Changing,
removing or reordering any row breaks a link that ``manage.py audit_verify`` reports; the same
check runs over an exported CSV (which carries every hashed column), so an auditor can prove an
export is complete and unaltered without database access.

Chain order is id order. Appending takes one lock for the rest of the transaction, so two
transactions cannot link to the same predecessor: on PostgreSQL a transaction-level advisory lock
(``pg_advisory_xact_lock``: no table privilege needed, released at commit or rollback), taken by
the function ``portal_auditevent_chain_next()`` (migration 0006) with the id and the head; SQLite
runs its transactions one at a time anyway (``transaction_mode`` IMMEDIATE in settings). A unique
constraint on ``prev_hash`` makes a fork impossible even if the lock were bypassed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connections
from django.db.models import Model

GENESIS = "0" * 64
# The advisory lock of portal_auditevent_chain_next() (migration 0006): "audit_ch" in ASCII.
ADVISORY_LOCK_KEY = 0x61756469745F6368
# The columns hashed, as named in the database and in the export (`at` as UTC ISO 8601).
CHAIN_FIELDS = ("id", "at", "actor_id", "actor_username", "action", "object_type", "object_id",
                "object_repr", "project_id", "data", "source_ip", "request_id", "prev_hash")

# First characters of an export cell that gets a leading quote (spreadsheet formulas; the quote
# itself, so that exactly one leading quote is removed when the export is read back).
CSV_ESCAPED_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
# Export column -> chain field, where the names differ.
EXPORT_COLUMNS = {"actor": "actor_username", "object": "object_repr"}


def export_record(row: Mapping[str, str]) -> dict[str, str]:
    """One row of the CSV export (portal.views.audit_event_export) as CHAIN_FIELDS + hash."""
    values = {EXPORT_COLUMNS.get(column, column): (text[1:] if text.startswith("'") else text)
              for column, text in row.items() if column}
    missing = [name for name in (*CHAIN_FIELDS, "hash") if name not in values]
    if missing:
        raise ValueError(f"the export has no column {', '.join(missing)}")
    return values


def _json_normal(value: Any) -> Any:
    """Integral floats as ints: PostgreSQL's jsonb gives 1e16 or 2.0 back as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(key): _json_normal(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_normal(item) for item in value]
    return value


def _timestamp(value: datetime | str) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:  # stored times are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _int_or_none(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def chain_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of one event: sorted, compact, ASCII JSON of CHAIN_FIELDS.

    ``record`` maps each of CHAIN_FIELDS to the stored value or its export text (both give the
    same hash): ``at`` a datetime or ISO string, ``data`` a dict or its JSON text, empty
    ``actor_id``/``project_id``/``source_ip`` as None or "".
    """
    data = record["data"]
    canonical = {
        "id": int(record["id"]),
        "at": _timestamp(record["at"]),
        "actor_id": _int_or_none(record["actor_id"]),
        "actor_username": record["actor_username"],
        "action": record["action"],
        "object_type": record["object_type"],
        "object_id": record["object_id"],
        "object_repr": record["object_repr"],
        "project_id": _int_or_none(record["project_id"]),
        "data": _json_normal(json.loads(data) if isinstance(data, str) else data),
        "source_ip": record["source_ip"] or None,
        "request_id": record["request_id"],
        "prev_hash": record["prev_hash"],
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def chain_link(event: Model, *, using: str) -> None:
    """Give an unsaved event its id, ``prev_hash`` and ``hash``; call inside the transaction
    that inserts it (the lock taken here is held until that transaction ends).

    The id is drawn first because it is hashed. The head must be read by a statement that
    starts after the lock is held: under READ COMMITTED each statement sees the rows committed
    before it started (PostgreSQL docs, "Read Committed Isolation Level"). On PostgreSQL that is
    a query inside portal_auditevent_chain_next() (migration 0006), one round trip.
    """
    connection = connections[using]
    table = connection.ops.quote_name(event._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT next_id, head FROM portal_auditevent_chain_next()")
            next_id, head = cursor.fetchone()
        else:
            # SQLite: AUTOINCREMENT's counter (never reuses an id), under the write lock.
            cursor.execute(f"SELECT id, hash FROM {table} ORDER BY id DESC LIMIT 1")  # noqa: S608
            last = cursor.fetchone()
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s",
                           [event._meta.db_table])
            counter = cursor.fetchone()
            next_id = max(last[0] if last else 0, counter[0] if counter else 0) + 1
            head = last[1] if last else None
    values = event.__dict__
    event.pk = next_id
    values["prev_hash"] = head or GENESIS
    # The stored form of every value, so the hash matches what is read back.
    fields = {field.attname: field for field in event._meta.concrete_fields}
    record = {name: fields[name].get_prep_value(values[name]) for name in CHAIN_FIELDS}
    values["hash"] = chain_hash(record)


@dataclass(frozen=True)
class ChainReport:
    """The outcome of walking a chain: how far it got, and the first broken link if any."""

    rows: int
    first_id: int | None
    last_id: int | None
    head: str | None
    starts_at_genesis: bool
    problem: str | None = None
    problem_id: int | None = None


def chain_verify(rows: Iterable[Mapping[str, Any]], *, partial: bool = False,
                 expect_hash: str | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 progress_every: int = 10_000) -> ChainReport:
    """Walk events in id order (each a mapping of CHAIN_FIELDS plus ``hash``); stop at the first
    broken link. ``partial`` accepts a stretch that does not start at the first event (a
    filtered export); ``expect_hash`` is a hash recorded earlier that must still be in the chain
    (it catches the last events being cut off, which no link can show)."""
    count, first_id, previous_id, previous_hash = 0, None, None, None
    starts_at_genesis, seen_expected = False, expect_hash is None

    def report(problem: str | None = None, problem_id: int | None = None) -> ChainReport:
        return ChainReport(count, first_id, previous_id, previous_hash, starts_at_genesis,
                           problem, problem_id)

    for row in rows:
        event_id = int(row["id"])
        if previous_id is not None and event_id <= previous_id:
            return report(f"row {event_id} comes after row {previous_id}: rows are out of order",
                          event_id)
        if previous_id is None:
            first_id, starts_at_genesis = event_id, row["prev_hash"] == GENESIS
            if not starts_at_genesis and not partial:
                return report(f"row {event_id} is the first row but does not start the chain "
                              f"(its prev_hash is {row['prev_hash']}, not the genesis value): "
                              "rows before it are missing", event_id)
        elif row["prev_hash"] != previous_hash:
            return report(f"row {event_id}: prev_hash {row['prev_hash']} is not the hash of row "
                          f"{previous_id} ({previous_hash}): rows between them were removed, or "
                          "rows were reordered", event_id)
        computed = chain_hash(row)
        if computed != row["hash"]:
            return report(f"row {event_id}: its content does not match its hash (stored "
                          f"{row['hash']}, computed {computed}): the row was changed after it "
                          "was written", event_id)
        count, previous_id, previous_hash = count + 1, event_id, computed
        seen_expected = seen_expected or computed == expect_hash
        if progress is not None and count % progress_every == 0:
            progress(count, event_id)
    if not seen_expected:
        return report(f"the hash {expect_hash} recorded earlier is not in the chain: events "
                      "that were in it have been removed")
    return report()
