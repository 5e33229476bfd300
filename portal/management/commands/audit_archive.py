"""`manage.py audit_archive --before YYYY-MM --output FILE`: move old months out of the trail.

Writes every event before the month given (whole months: the cutoff is that month's first
instant, UTC) to a new JSON-lines file, re-reads it to check its chain links to the rows left,
then deletes the archived rows and records ``audit.archived`` (rows, ids, head hash, the file's
SHA-256) in the trail itself. Run it as the database owner role (the one that runs migrations):
the app role may not delete audit rows. Keep the files: ``manage.py audit_verify --archive FILE
[--archive FILE …]`` proves the archives plus the database still form one unbroken chain.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.audit_archive import ArchiveError, audit_archive, month_start
from portal.services import audit_record


class Command(BaseCommand):
    help = "Archive the audit events before a month to a JSON-lines file, then delete them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--before", required=True,
                            help="YYYY-MM: archive every event before this month")
        parser.add_argument("--output", required=True, type=Path,
                            help="the JSON-lines file to write (must not exist)")
        parser.add_argument("--keep", action="store_true",
                            help="write and check the archive but delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            before = month_start(options["before"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        started = time.monotonic()

        def progress(count: int, event_id: int) -> None:
            self.stderr.write(f"archived {count} events (up to id {event_id}), "
                              f"{time.monotonic() - started:.1f} s")

        try:
            result = audit_archive(before=before, output=options["output"],
                                   delete=not options["keep"], progress=progress)
        except (ArchiveError, OSError) as error:
            raise CommandError(str(error)) from error
        if not result.rows:
            self.stdout.write(f"no audit events before {options['before']}: nothing archived")
            return
        if result.deleted:
            audit_record(action="audit.archived", actor_username="manage.py audit_archive",
                         data={"before": options["before"], "file": options["output"].name,
                               "rows": result.rows, "first_id": result.first_id,
                               "last_id": result.last_id, "head": result.head,
                               "sha256": result.sha256})
        self.stdout.write(self.style.SUCCESS(
            f"archived {result.rows} events (ids {result.first_id}..{result.last_id}) to "
            f"{options['output']}, sha256 {result.sha256}; head hash {result.head}; "
            f"deleted {result.deleted} ({time.monotonic() - started:.1f} s)"))
