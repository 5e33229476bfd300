"""``manage.py scim_token --name entra``: make a SCIM bearer token and print it once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from identity.scim_auth import scim_token_create


class Command(BaseCommand):
    help = "Make a SCIM bearer token for the identity provider; the key is printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Which IdP uses it (e.g. entra).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            token, key = scim_token_create(name=options["name"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(key)
        self.stderr.write(f"SCIM token {token.name!r} made; the key above is not kept.")
