"""``manage.py consume_events``: the long-running events consumer (one or more per deployment)."""

from __future__ import annotations

import logging
import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from provisioning.event_queue import (
    WAIT_SECONDS,
    consumer_name,
    event_receipts_forget,
    events_client,
    events_receive_once,
)

logger = logging.getLogger(__name__)
ERROR_PAUSE_SECONDS = 5
FORGET_EVERY_SECONDS = 3600


class Command(BaseCommand):
    help = "Read EventBridge state changes from PORTAL_EVENTS_QUEUE_URL and apply them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One receive, then exit.")
        parser.add_argument("--wait", type=int, default=WAIT_SECONDS,
                            help="WaitTimeSeconds of each receive (0-20).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.PORTAL_EVENTS_ENABLED:
            raise CommandError("PORTAL_EVENTS_ENABLED is off: there is no events queue to read.")
        client = events_client()
        name = consumer_name()
        forgotten_at = 0.0
        while True:
            try:
                report = events_receive_once(client=client, wait_seconds=options["wait"],
                                             name=name)
                if report.received:
                    logger.info("Events: %s received, %s handled, %s left", report.received,
                                report.handled, report.left)
            except (BotoCoreError, ClientError) as exc:
                # No beat is written: the follow-ups go back to their ordinary backoff.
                logger.warning("Events queue unavailable (%s); retrying in %s s", exc,
                               ERROR_PAUSE_SECONDS)
                if options["once"]:
                    raise CommandError(str(exc)) from None
                time.sleep(ERROR_PAUSE_SECONDS)
            if time.monotonic() - forgotten_at > FORGET_EVERY_SECONDS:
                event_receipts_forget()
                forgotten_at = time.monotonic()
            if options["once"]:
                return
