"""`manage.py audit_verify [--file export.csv]`: prove the audit trail (or an export) unaltered.

Walks the events in id order, recomputing each hash and checking each link; stops at the first
broken one, naming the row, and exits 1. Without ``--file`` it reads the database (streamed);
with it, a CSV from the audit export page (no database needed beyond settings). ``--archive``
(repeatable, oldest first) puts the files of ``audit_archive`` before the database's rows, so the
trail is checked from its first event even after old months were moved out.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Generator, Iterator, Mapping
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.audit_archive import archives_then_database
from portal.audit_chain import CHAIN_FIELDS, ChainReport, chain_verify, export_record
from portal.models import AuditEvent

CHUNK = 5000


def database_rows() -> Iterator[Mapping[str, Any]]:
    # values(): no model instances, streamed with a server-side cursor on PostgreSQL.
    rows: Iterator[Mapping[str, Any]] = AuditEvent.objects.order_by("id").values(
        *CHAIN_FIELDS, "hash").iterator(chunk_size=CHUNK)
    return rows


def file_rows(path: Path) -> list[dict[str, str]]:
    """The export's rows in id order (the export lists the newest first)."""
    # utf-8-sig: the export's optional byte-order mark (?bom=1).
    with path.open(newline="", encoding="utf-8-sig") as stream:
        rows = [export_record(row) for row in csv.DictReader(stream)]
    return sorted(rows, key=lambda row: int(row["id"]))


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain (or an exported CSV's); exit 1 at a broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path,
                            help="an audit export (CSV) to verify instead of the database")
        parser.add_argument("--archive", type=Path, action="append", default=[],
                            help="an archive from `audit_archive` (repeat, oldest first): its "
                                 "rows come before the database's, as one chain")
        parser.add_argument("--partial", action="store_true",
                            help="accept rows that do not start at the first event (a filtered "
                                 "export); its rows must still be contiguous")
        parser.add_argument("--expect-hash",
                            help="a head hash recorded earlier (printed by a previous run): it "
                                 "must still be in the chain, so cut-off last events show")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()

        def progress(count: int, event_id: int) -> None:
            self.stderr.write(f"verified {count} events (up to id {event_id}), "
                              f"{time.monotonic() - started:.1f} s")

        source: Any
        if options["archive"] and options["file"]:
            raise CommandError("--archive goes with the database, not with --file")
        if options["archive"]:
            source = archives_then_database(options["archive"], database_rows())
        elif options["file"]:
            try:
                source = file_rows(options["file"])
            except (OSError, ValueError, csv.Error) as error:
                raise CommandError(f"cannot read {options['file']}: {error}") from error
        else:
            source = database_rows()
        try:
            report = chain_verify(source, partial=options["partial"],
                                  expect_hash=options["expect_hash"], progress=progress)
        except (ValueError, KeyError, TypeError) as error:  # an export cell that is not valid
            raise CommandError(f"unreadable row: {error}") from error
        except OSError as error:  # an archive that cannot be read
            raise CommandError(f"cannot read an archive: {error}") from error
        finally:
            if isinstance(source, Generator):  # stopped early: close the server-side cursor
                source.close()
        self._summary(report, time.monotonic() - started)

    def _summary(self, report: ChainReport, seconds: float) -> None:
        if report.problem:
            raise CommandError(f"audit chain broken after {report.rows} good events: "
                               f"{report.problem}", returncode=1)
        if not report.rows:
            self.stdout.write("no audit events to verify")
            return
        start = "the first event" if report.starts_at_genesis else "a later event (partial)"
        self.stdout.write(self.style.SUCCESS(
            f"audit chain intact: {report.rows} events, ids {report.first_id}..{report.last_id}, "
            f"starting at {start}; head hash {report.head} ({seconds:.1f} s)"
        ))
