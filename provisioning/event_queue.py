"""The events consumer: long-poll the events queue, handle each event, delete what was handled.

Facts (SQS developer guide: long polling, visibility timeout, dead-letter queues):
- ReceiveMessage with WaitTimeSeconds 20 (the maximum) answers as soon as a message arrives, or
  empty after 20 s; MaxNumberOfMessages is at most 10.
- A received message is hidden for the visibility timeout and comes back unless deleted; the
  queue's RedrivePolicy moves it to the dead-letter queue after ``maxReceiveCount`` receives.
  So a message that fails (malformed, or an error while handling it) is simply not deleted:
  it is retried, then parked in the DLQ for a person to read.
- DeleteMessageBatch deletes up to 10 by receipt handle; each entry succeeds or fails alone.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from portal.aws import aws_portal_client
from provisioning.events import MalformedEvent, event_handle, event_parse
from provisioning.events_health import events_consumer_beat
from provisioning.models import AwsEventReceipt

logger = logging.getLogger(__name__)

WAIT_SECONDS = 20
BATCH = 10


@dataclass
class ReceiveReport:
    """What one receive did: messages received, handled (and deleted), left for redelivery."""

    received: int = 0
    handled: int = 0
    left: int = 0


def consumer_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def events_client() -> Any:
    """The SQS client for PORTAL_EVENTS_QUEUE_URL (its region is in the URL's host)."""
    host = settings.PORTAL_EVENTS_QUEUE_URL.split("/")[2]
    return aws_portal_client("sqs", region=host.split(".")[1])


def events_receive_once(*, client: Any, wait_seconds: int = WAIT_SECONDS,
                        name: str = "") -> ReceiveReport:
    """One long poll of the events queue; raises botocore's errors (the caller backs off)."""
    url = settings.PORTAL_EVENTS_QUEUE_URL
    answer = client.receive_message(QueueUrl=url, MaxNumberOfMessages=BATCH,
                                    WaitTimeSeconds=wait_seconds,
                                    MessageSystemAttributeNames=["ApproximateReceiveCount"])
    report = ReceiveReport()
    handled: list[dict[str, str]] = []
    for index, message in enumerate(answer.get("Messages", [])):
        report.received += 1
        receives = message.get("Attributes", {}).get("ApproximateReceiveCount", "?")
        try:
            event_handle(event_parse(message["Body"]))
        except MalformedEvent as exc:
            logger.warning("Events queue: message %s is not an event the portal handles (%s); "
                           "left for the dead-letter queue (receive %s)",
                           message.get("MessageId"), exc, receives)
            report.left += 1
            continue
        except Exception:  # noqa: BLE001 - one bad message must not stop the others
            logger.exception("Events queue: message %s failed (receive %s); it is retried, then "
                             "parked in the dead-letter queue", message.get("MessageId"), receives)
            report.left += 1
            continue
        handled.append({"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]})
    if handled:
        result = client.delete_message_batch(QueueUrl=url, Entries=handled)
        for failed in result.get("Failed", []):
            logger.warning("Events queue: could not delete message %s: %s", failed.get("Id"),
                           failed.get("Message"))
        report.handled = len(handled) - len(result.get("Failed", []))
    events_consumer_beat(name=name or consumer_name())
    return report


def event_receipts_forget() -> int:
    """Delete the ids of events handled longer ago than PORTAL_EVENTS_KEEP_HOURS."""
    before = timezone.now() - timedelta(hours=settings.PORTAL_EVENTS_KEEP_HOURS)
    deleted, _ = AwsEventReceipt.objects.filter(received_at__lt=before).delete()
    return deleted
