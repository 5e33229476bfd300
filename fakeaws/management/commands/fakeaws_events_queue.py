"""``manage.py fakeaws_events_queue``: what the platform team deploys once, in the fake: the
events queue of FAKEAWS_EVENTS_QUEUE_URL and its dead-letter queue (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from fakeaws.events import events_queue


class Command(BaseCommand):
    help = "Create the fake's events queue (FAKEAWS_EVENTS_QUEUE_URL) and its dead-letter queue."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            queue = events_queue()
        if queue is None:
            raise CommandError("FAKEAWS_EVENTS_QUEUE_URL is not an SQS queue URL.")
        self.stdout.write(f"Events queue {queue} ready.")
