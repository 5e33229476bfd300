"""SQS (standard queues): the subset the portal's events consumer and the fake's EventBridge use.

Facts (SQS API reference and developer guide, "Amazon SQS JSON protocol", "dead-letter queues",
"visibility timeout", "short and long polling"):
- Queue URL ``https://sqs.<region>.amazonaws.com/<account>/<name>``, ARN
  ``arn:aws:sqs:<region>:<account>:<name>``; a queue of another account, or one that does not
  exist, answers ``QueueDoesNotExist`` ("The specified queue does not exist or you do not have
  access to it."; x-amzn-query-error ``AWS.SimpleQueueService.NonExistentQueue``).
- CreateQueue is idempotent for the same name and attributes; other attributes:
  ``QueueAlreadyExists`` (query code ``QueueAlreadyExists``).
- ReceiveMessage: MaxNumberOfMessages 1-10 (default 1), WaitTimeSeconds 0-20 (long polling:
  answer as soon as a message is available, otherwise after the wait, with no ``Messages``);
  a received message is invisible for the visibility timeout (queue default 30 s), then
  received again with a new receipt handle and ``ApproximateReceiveCount`` + 1.
- RedrivePolicy ``{"deadLetterTargetArn": arn, "maxReceiveCount": n}``: a message received n
  times and not deleted is moved to the dead-letter queue instead of being received again.
- DeleteMessageBatch: 1-10 entries with distinct ids; an entry whose receipt handle is not the
  message's current one fails alone (``ReceiptHandleIsInvalid``) in ``Failed``.
- SendMessage DelaySeconds 0-900; MD5OfMessageBody is the hex MD5 of the body (botocore checks
  it on receive).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from datetime import timedelta
from typing import Any

from fakeaws import clock
from fakeaws.identity import Caller
from fakeaws.models import Queue, QueueMessage
from fakeaws.protocol import AwsError
from fakeaws.services.registry import operation, wait

SQS = "sqs"
PREFIX = "com.amazonaws.sqs#"
DEFAULTS = {"VisibilityTimeout": "30", "DelaySeconds": "0", "MessageRetentionPeriod": "345600",
            "ReceiveMessageWaitTimeSeconds": "0", "MaximumMessageSize": "262144"}
POLL_SECONDS = 0.2


def sqs_error(code: str, query_code: str, message: str) -> AwsError:
    return AwsError(PREFIX + code, message, query_code=query_code)


def _invalid(message: str) -> AwsError:
    return sqs_error("InvalidParameterValueException", "InvalidParameterValue", message)


def queue_url(queue: Queue) -> str:
    return f"https://sqs.{queue.region}.amazonaws.com/{queue.account}/{queue.name}"


def queue_arn(queue: Queue) -> str:
    return f"arn:aws:sqs:{queue.region}:{queue.account}:{queue.name}"


def queue_for_url(url: str) -> Queue | None:
    """The queue a URL names (any account), or None."""
    parts = url.rstrip("/").split("/")
    host = parts[2] if len(parts) > 2 else ""
    if len(parts) != 5 or not host.startswith("sqs."):
        return None
    region = host.split(".")[1]
    return Queue.objects.filter(account=parts[3], region=region, name=parts[4]).first()


def _queue(caller: Caller, params: dict[str, Any]) -> Queue:
    queue = queue_for_url(str(params.get("QueueUrl", "")))
    if queue is None or queue.account != caller.account:  # no cross-account access policy here
        raise sqs_error("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
                        "The specified queue does not exist or you do not have access to it.")
    return queue


def _int(params: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _invalid(f"Value {value} for parameter {name} is invalid.") from None
    if not low <= number <= high:
        raise _invalid(f"Value {value} for parameter {name} is invalid. Reason: Must be between "
                       f"{low} and {high}, if provided.")
    return number


def queue_create(*, account: str, region: str, name: str, attributes: dict[str, str]) -> Queue:
    """CreateQueue's effect (also how the fake's platform baseline creates the events queue)."""
    wanted = {**DEFAULTS, **{k: str(v) for k, v in attributes.items()}}
    queue = Queue.objects.filter(account=account, region=region, name=name).first()
    if queue is not None:
        if queue.attributes != wanted:
            raise sqs_error("QueueNameExists", "QueueAlreadyExists",
                            "A queue already exists with the same name and a different value "
                            "for attribute(s)")
        return queue
    if "RedrivePolicy" in wanted:
        _redrive(wanted["RedrivePolicy"])
    return Queue.objects.create(account=account, region=region, name=name, attributes=wanted,
                                created_at=clock.now())


def _redrive(text: str) -> tuple[str, int]:
    try:
        policy = json.loads(text)
        return str(policy["deadLetterTargetArn"]), int(policy["maxReceiveCount"])
    except (ValueError, KeyError, TypeError):
        raise sqs_error("InvalidAttributeValue", "InvalidAttributeValue",
                        f"Invalid value for the parameter RedrivePolicy: {text}") from None


@operation(SQS, "CreateQueue")
def create_queue(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    name = str(params.get("QueueName", ""))
    if not name or len(name) > 80 or not all(c.isalnum() or c in "-_" for c in name):
        raise _invalid("Can only include alphanumeric characters, hyphens, or underscores. 1 to "
                       "80 in length")
    queue = queue_create(account=caller.account, region=region, name=name,
                         attributes=dict(params.get("Attributes") or {}))
    return {"QueueUrl": queue_url(queue)}


@operation(SQS, "GetQueueUrl")
def get_queue_url(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    account = str(params.get("QueueOwnerAWSAccountId") or caller.account)
    queue = Queue.objects.filter(account=account, region=region,
                                 name=str(params.get("QueueName", ""))).first()
    if queue is None or queue.account != caller.account:
        raise sqs_error("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
                        "The specified queue does not exist or you do not have access to it.")
    return {"QueueUrl": queue_url(queue)}


def message_send(*, queue: Queue, body: str, delay_seconds: float = 0) -> QueueMessage:
    """SendMessage's effect (also how the fake's EventBridge delivers an event)."""
    now = clock.now()
    delay = delay_seconds or int(queue.attributes.get("DelaySeconds", "0"))
    return QueueMessage.objects.create(
        queue=queue, message_id=str(uuid.uuid4()), body=body, sent_at=now,
        visible_at=now + timedelta(seconds=max(0.0, delay)))


@operation(SQS, "SendMessage")
def send_message(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    queue = _queue(caller, params)
    body = str(params.get("MessageBody", ""))
    if not body:
        raise sqs_error("MissingParameter", "MissingParameter",
                        "The request must contain the parameter MessageBody.")
    delay = _int(params, "DelaySeconds", 0, 0, 900)
    message = message_send(queue=queue, body=body, delay_seconds=delay)
    return {"MessageId": message.message_id,
            "MD5OfMessageBody": hashlib.md5(body.encode()).hexdigest()}


def _visible(queue: Queue) -> Any:
    return QueueMessage.objects.filter(queue=queue, visible_at__lte=clock.now())


@wait(SQS, "ReceiveMessage")
def receive_wait(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    """Long polling: wait (outside any transaction) until a message is visible or time is up."""
    queue = _queue(caller, params)
    default = int(queue.attributes.get("ReceiveMessageWaitTimeSeconds", "0"))
    seconds = _int(params, "WaitTimeSeconds", default, 0, 20)
    deadline = time.monotonic() + seconds
    while not _visible(queue).exists() and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    return {}


@operation(SQS, "ReceiveMessage")
def receive_message(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    queue = _queue(caller, params)
    count = _int(params, "MaxNumberOfMessages", 1, 1, 10)
    timeout = _int(params, "VisibilityTimeout",
                   int(queue.attributes.get("VisibilityTimeout", "30")), 0, 43200)
    redrive = (_redrive(queue.attributes["RedrivePolicy"])
               if "RedrivePolicy" in queue.attributes else None)
    now = clock.now()
    answered: list[dict[str, Any]] = []
    for message in _visible(queue).select_for_update().order_by("visible_at", "pk")[:50]:
        if len(answered) == count:
            break
        if redrive is not None and message.receive_count >= redrive[1]:
            _dead_letter(message, redrive[0])
            continue
        message.receive_count += 1
        message.first_received_at = message.first_received_at or now
        message.receipt = secrets.token_urlsafe(32)
        message.visible_at = now + timedelta(seconds=timeout)
        message.save(update_fields=["receive_count", "first_received_at", "receipt",
                                    "visible_at"])
        answered.append({
            "MessageId": message.message_id, "ReceiptHandle": message.receipt,
            "MD5OfBody": hashlib.md5(message.body.encode()).hexdigest(), "Body": message.body,
            "Attributes": {"ApproximateReceiveCount": str(message.receive_count),
                           "SentTimestamp": str(int(message.sent_at.timestamp() * 1000))}})
    return {"Messages": answered} if answered else {}


def _dead_letter(message: QueueMessage, arn: str) -> None:
    _, _, _, region, account, name = arn.split(":", 5)
    target = Queue.objects.filter(account=account, region=region, name=name).first()
    if target is None:  # SQS keeps the message where it is when the DLQ is gone
        return
    message.queue = target
    message.visible_at = clock.now()
    message.receipt = ""
    message.save(update_fields=["queue", "visible_at", "receipt"])


@operation(SQS, "DeleteMessageBatch")
def delete_message_batch(*, caller: Caller, region: str, params: dict[str, Any]
                         ) -> dict[str, Any]:
    queue = _queue(caller, params)
    entries = list(params.get("Entries") or [])
    if not entries:
        raise sqs_error("EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest",
                        "There should be at least one DeleteMessageBatchRequestEntry in the "
                        "request.")
    if len(entries) > 10:
        raise sqs_error("TooManyEntriesInBatchRequest",
                        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                        f"Maximum number of entries per request are 10. You have sent "
                        f"{len(entries)}.")
    if len({str(e.get("Id")) for e in entries}) != len(entries):
        raise sqs_error("BatchEntryIdsNotDistinct",
                        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                        "Two or more batch entries in the request have the same Id.")
    done, failed = [], []
    for entry in entries:
        handle = str(entry.get("ReceiptHandle", ""))
        deleted, _ = QueueMessage.objects.filter(queue=queue, receipt=handle).exclude(
            receipt="").delete() if handle else (0, {})
        if deleted:
            done.append({"Id": entry["Id"]})
        else:
            failed.append({"Id": entry["Id"], "SenderFault": True,
                           "Code": "ReceiptHandleIsInvalid",
                           "Message": f'The input receipt handle "{handle}" is not a valid '
                                      "receipt handle."})
    return {"Successful": done, "Failed": failed}


@operation(SQS, "ChangeMessageVisibility")
def change_message_visibility(*, caller: Caller, region: str, params: dict[str, Any]
                              ) -> dict[str, Any]:
    queue = _queue(caller, params)
    seconds = _int(params, "VisibilityTimeout", 0, 0, 43200)
    handle = str(params.get("ReceiptHandle", ""))
    changed = QueueMessage.objects.filter(queue=queue, receipt=handle).exclude(receipt="").update(
        visible_at=clock.now() + timedelta(seconds=seconds)) if handle else 0
    if not changed:
        raise sqs_error("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid",
                        f'The input receipt handle "{handle}" is not a valid receipt handle.')
    return {}


@operation(SQS, "GetQueueAttributes")
def get_queue_attributes(*, caller: Caller, region: str, params: dict[str, Any]
                         ) -> dict[str, Any]:
    queue = _queue(caller, params)
    now = clock.now()
    rows = QueueMessage.objects.filter(queue=queue)
    everything = {
        **queue.attributes, "QueueArn": queue_arn(queue),
        "ApproximateNumberOfMessages": str(rows.filter(visible_at__lte=now).count()),
        "ApproximateNumberOfMessagesNotVisible": str(
            rows.filter(visible_at__gt=now, receive_count__gt=0).count()),
        "ApproximateNumberOfMessagesDelayed": str(
            rows.filter(visible_at__gt=now, receive_count=0).count()),
        "CreatedTimestamp": str(int(queue.created_at.timestamp())),
    }
    names = [str(n) for n in params.get("AttributeNames") or []]
    chosen = everything if "All" in names else {k: v for k, v in everything.items() if k in names}
    return {"Attributes": chosen} if chosen else {}
