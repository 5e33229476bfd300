"""``manage.py api_token USERNAME``: give a person a new API token and print it once.

For operators and scripts (the image test drives the API with it). The token replaces the
person's previous one, only its digest is stored, and the rotation is audited like the token page's.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.models import User
from portal.services import api_token_rotate


class Command(BaseCommand):
    help = "Create (or replace) a person's API token and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The portal username (the IdP's uid).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active person named {options['username']!r}.")
        key = api_token_rotate(user=user)
        self.stdout.write(f"Generated token {key} for user {user.username}")
