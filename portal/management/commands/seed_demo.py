"""``manage.py seed_demo``: the demo's projects and people, idempotently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.demo import DEMO_USERS_FILE, DemoDataError, demo_data_seed, demo_users_load


class Command(BaseCommand):
    help = "Create the demo projects, the dev IdP's users and their memberships where missing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--users", type=Path, default=DEMO_USERS_FILE,
            help=f"the dev IdP's users file (default {DEMO_USERS_FILE})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = demo_data_seed(users=demo_users_load(path=options["users"]))
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        for line in report:
            self.stdout.write(line)
        if not report:
            self.stdout.write("demo data already present: nothing created")
