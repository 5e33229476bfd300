"""``manage.py sync_catalog``: sync every AWS target now, with progress and a summary."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.models import SyncRun
from catalog.sync import catalog_sync, sync_run_start


class Command(BaseCommand):
    help = "Sync the catalog from AWS Service Catalog for every project."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet-products", action="store_true",
                            help="Do not list each product as it is read.")

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["quiet_products"] or options["verbosity"] < 1

        def progress(message: str) -> None:
            if quiet and message.startswith("  read "):
                return
            self.stdout.write(message)

        run = catalog_sync(run=sync_run_start(trigger=SyncRun.Trigger.COMMAND), progress=progress)
        summary = (f"Catalog sync #{run.pk}: {run.get_status_display()} — added {run.added}, "
                   f"updated {run.updated}, retired {run.retired}, errors {len(run.errors)}")
        if run.status == SyncRun.Status.SUCCEEDED:
            self.stdout.write(self.style.SUCCESS(summary))
        elif run.status == SyncRun.Status.PARTIAL:
            self.stdout.write(self.style.WARNING(summary))
            for error in run.errors:
                self.stdout.write(self.style.WARNING(
                    f"  {error['target']}: {error['operation']} {error['code']}: "
                    f"{error['message']}"))
        else:
            for error in run.errors:
                self.stderr.write(f"  {error['target']}: {error['operation']} {error['code']}: "
                                  f"{error['message']}")
            raise CommandError(summary)
