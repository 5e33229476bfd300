"""``manage.py request_states_doc``: rewrite docs/request-states.md from the state tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from approvals.states import states_markdown


class Command(BaseCommand):
    help = "Render the request and approval task state tables into docs/request-states.md."

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(settings.BASE_DIR) / "docs" / "request-states.md"
        path.write_text(states_markdown() + "\n", encoding="utf-8")
        self.stdout.write(f"wrote {path}")
