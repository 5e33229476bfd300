"""`manage.py db_roles --app-role NAME`: give the app's database role its privileges.

Run it as the owner role (the one that runs migrations), after every ``migrate``; see
portal/db_roles.py for what it grants and why.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from portal.db_roles import DatabaseRoleError, app_role_grant


class Command(BaseCommand):
    help = ("Grant the app role read/write on the portal's tables and only SELECT, INSERT on "
            "the audit trail (PostgreSQL; run as the owner role, after migrate).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--app-role", required=True,
                            help="the role web, worker and beat connect as")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with transaction.atomic():
                report = app_role_grant(app_role=options["app_role"])
        except DatabaseRoleError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(
            f"{report.app_role}: read/write on {report.tables} tables in schema "
            f"{report.schema} owned by {report.owner} (and on tables later migrations create); "
            f"on the audit trail only {', '.join(report.audit_privileges)}"
        ))
