"""``manage.py seed_demo_catalog``: the demo's prices and fixed network parameters, idempotently.

Run after ``sync_catalog`` (the parameters to fix come from the synced versions)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from catalog.demo import demo_network_seed, demo_prices_seed, demo_rename_seed


class Command(BaseCommand):
    help = ("Add the demo's on-demand SageMaker prices and fix the synced products' subnet, "
            "security groups and KMS key from each project account, where missing.")

    def handle(self, *args: Any, **options: Any) -> None:
        lines = [f"added price {line}" for line in demo_prices_seed()]
        lines += demo_network_seed()
        lines += demo_rename_seed()
        for line in lines:
            self.stdout.write(line)
        if not lines:
            self.stdout.write("demo catalog curation already present: nothing added")
