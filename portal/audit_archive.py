"""Retention of the audit trail: whole old months out to a JSON-lines file, chain intact.

An archive holds a contiguous stretch of the chain from its start (the first archive starts at
the genesis event; each later one where the previous ended): one JSON object per line with every
hashed column plus ``hash`` (``portal.audit_chain.CHAIN_FIELDS``). Archive files, in order, then
the rows left in the database form one chain again, which ``manage.py audit_verify --archive``
checks link by link.

The rows go by id (chain order): everything before the first event at or after the cutoff, so
the stretch left in the database starts exactly where the archive ends, even if a few ``at``
values were out of id order. Deleting is the owner role's alone: the app role holds only SELECT
and INSERT on the table (``portal.db_roles``), and on PostgreSQL a row trigger refuses every
DELETE (migration 0002); only the table's owner may disable it (ALTER TABLE), which happens in
the deleting transaction, so no other session ever sees the trigger off (DDL is
transactional in PostgreSQL) and the table's ACCESS EXCLUSIVE lock holds inserts back until
commit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from django.db import DatabaseError, connection, transaction

from portal.audit_chain import CHAIN_FIELDS, chain_verify
from portal.models import AuditEvent

CHUNK = 5000
TABLE = "portal_auditevent"
DELETE_TRIGGER = "portal_auditevent_no_delete"


class ArchiveError(Exception):
    """The archive cannot be made or its rows removed (nothing was deleted)."""


@dataclass(frozen=True)
class ArchiveResult:
    rows: int
    first_id: int | None
    last_id: int | None
    head: str | None
    sha256: str
    deleted: int


def month_start(text: str) -> datetime:
    """``YYYY-MM`` as the first instant of that month (UTC); ValueError for anything else."""
    try:
        moment = datetime.strptime(text, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"{text!r} is not a month as YYYY-MM") from None
    return moment


def archive_last_id(*, before: datetime) -> int | None:
    """The last id to archive: the one before the first event at or after ``before``."""
    kept = AuditEvent.objects.filter(at__gte=before).order_by("id").values_list(
        "id", flat=True).first()
    older = AuditEvent.objects.order_by("-id")
    if kept is not None:
        older = older.filter(id__lt=kept)
    return older.values_list("id", flat=True).first()


def _json_value(value: Any) -> Any:
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value


def _rows(last_id: int) -> Iterator[dict[str, Any]]:
    rows = AuditEvent.objects.filter(id__lte=last_id).order_by("id").values(
        *CHAIN_FIELDS, "hash").iterator(chunk_size=CHUNK)
    for row in rows:
        yield {key: _json_value(value) for key, value in row.items()}


def archive_rows(path: Path) -> Iterator[dict[str, Any]]:
    """The events of an archive file, in its (id) order."""
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}: line {number} is not JSON ({error})") from None
            missing = [name for name in (*CHAIN_FIELDS, "hash") if name not in row]
            if missing:
                raise ValueError(f"{path}: line {number} has no {', '.join(missing)}")
            yield row


def _write(stream: IO[str], rows: Iterator[Mapping[str, Any]],
           progress: Callable[[int, int], None] | None) -> tuple[int, str]:
    digest, count = hashlib.sha256(), 0
    for row in rows:
        line = json.dumps(row, sort_keys=True, ensure_ascii=True) + "\n"
        stream.write(line)
        digest.update(line.encode("ascii"))
        count += 1
        if progress is not None and count % CHUNK == 0:
            progress(count, int(row["id"]))
    return count, digest.hexdigest()


def _delete(last_id: int) -> int:
    """Remove the archived rows: raw SQL (the ORM refuses audit deletes by design)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT current_user, pg_has_role(current_user, relowner, 'USAGE') "
                           "FROM pg_class WHERE oid = %s::regclass", [TABLE])
            role, owns = cursor.fetchone()
            if not owns:
                raise ArchiveError(
                    f"only the role that owns the audit table (the one that runs migrations) "
                    f"may remove archived rows, not {role}: run the command with the owner's "
                    "DATABASE_URL. Nothing was deleted; the archive file is complete")
            # Deferred foreign-key checks of this transaction's own inserts would make the
            # ALTER TABLE fail ("pending trigger events"): run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            try:
                cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {DELETE_TRIGGER}")
            except DatabaseError as error:
                raise ArchiveError(f"cannot remove the archived rows: {error}") from None
        cursor.execute(f"DELETE FROM {TABLE} WHERE id <= %s", [last_id])  # noqa: S608
        deleted = cursor.rowcount
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {DELETE_TRIGGER}")
    return int(deleted)


def audit_archive(*, before: datetime, output: Path, delete: bool = True,
                  progress: Callable[[int, int], None] | None = None) -> ArchiveResult:
    """Write the events before ``before`` to ``output`` (which must not exist), check the file
    re-read links to the rows left, then (``delete``) remove those rows."""
    last_id = archive_last_id(before=before)
    if last_id is None:
        return ArchiveResult(0, None, None, None, hashlib.sha256().hexdigest(), 0)
    try:
        with output.open("x", encoding="utf-8") as stream:
            count, sha256 = _write(stream, _rows(last_id), progress)
    except FileExistsError:
        raise ArchiveError(f"{output} exists already: choose a new file") from None
    report = chain_verify(archive_rows(output), partial=True)
    if report.problem:
        raise ArchiveError(f"the archive does not verify: {report.problem}")
    following = AuditEvent.objects.filter(id__gt=last_id).order_by("id").values_list(
        "prev_hash", flat=True).first()
    if following is not None and following != report.head:
        raise ArchiveError("the first event left does not link to the archive's last one")
    deleted = _delete(last_id) if delete else 0
    if delete and deleted != count:
        raise ArchiveError(f"deleted {deleted} rows, archived {count}")  # pragma: no cover
    return ArchiveResult(count, report.first_id, report.last_id, report.head, sha256, deleted)


def archives_then_database(paths: list[Path], database: Iterator[Mapping[str, Any]]
                           ) -> Iterator[Mapping[str, Any]]:
    """The rows of the archive files in the order given, then the database's."""
    for path in paths:
        yield from archive_rows(path)
    yield from database
