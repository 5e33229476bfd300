"""``manage.py seed_demo_prices``: the demo's instance prices, idempotently."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from catalog.demo import demo_prices_seed


class Command(BaseCommand):
    help = "Add the demo's on-demand SageMaker prices missing in the projects' regions."

    def handle(self, *args: Any, **options: Any) -> None:
        added = demo_prices_seed()
        for line in added:
            self.stdout.write(f"added price {line}")
        if not added:
            self.stdout.write("demo prices already present: nothing added")
