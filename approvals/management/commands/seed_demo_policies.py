"""``manage.py seed_demo_policies``: the demo's approval policies, idempotently."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from approvals.demo import demo_policies_seed


class Command(BaseCommand):
    help = "Create the demo approval policies (GPU, CPU, Studio, SageMaker project) if missing."

    def handle(self, *args: Any, **options: Any) -> None:
        created = demo_policies_seed()
        for line in created:
            self.stdout.write(f"created {line}")
        if not created:
            self.stdout.write("demo approval policies already present: nothing created")
