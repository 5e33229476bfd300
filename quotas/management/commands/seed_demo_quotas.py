"""``manage.py seed_demo_quotas``: the demo's quotas, idempotently."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from quotas.demo import demo_quotas_seed


class Command(BaseCommand):
    help = "Grant the demo quotas to the data scientists' IdP group where none are set."

    def handle(self, *args: Any, **options: Any) -> None:
        created = demo_quotas_seed()
        for line in created:
            self.stdout.write(f"created {line}")
        if not created:
            self.stdout.write("demo quotas already present: nothing created")
