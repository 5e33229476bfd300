"""The fake's EventBridge: state changes put on the events queue, as EventBridge delivers them.

What the platform team deploys (README, "Event-driven status"): in every project account a rule
on the default bus forwards the two event kinds below to a central bus, whose rule targets one
SQS queue in the portal's account (``FAKEAWS_EVENTS_QUEUE_URL``, the same URL as
``PORTAL_EVENTS_QUEUE_URL``), with a dead-letter queue ``<name>-dlq`` through its RedrivePolicy.
Empty: no rule, the events go nowhere, as in an account nobody set up.

Facts (EventBridge "AWS service event metadata"; CloudFormation "Stack Status Change event
detail"; SageMaker "Events that SageMaker sends to EventBridge" and its event schema):
- Envelope: ``version`` "0", ``id`` (a UUID, unique per event; EventBridge delivers at least
  once, so a consumer de-duplicates on it), ``detail-type``, ``source``, ``account``, ``time``
  (ISO 8601, seconds, ``Z``), ``region``, ``resources`` (ARNs), ``detail``. An SQS target gets
  the envelope as the message body, JSON.
- ``aws.cloudformation`` / "CloudFormation Stack Status Change": ``detail`` has ``stack-id``
  (the stack ARN ``arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>``),
  ``status-details.status`` (CREATE_IN_PROGRESS, CREATE_COMPLETE, CREATE_FAILED,
  ROLLBACK_IN_PROGRESS, ROLLBACK_COMPLETE, UPDATE_*, DELETE_*) and ``status-reason``;
  ``resources`` is ``[stack-id]``. Stacks Service Catalog launches are named
  ``SC-<account>-pp-<provisioned product id without "pp-">``.
- ``aws.sagemaker`` / "SageMaker Notebook Instance State Change": ``detail`` mirrors
  DescribeNotebookInstance: ``NotebookInstanceArn``, ``NotebookInstanceName``,
  ``NotebookInstanceStatus`` (Pending, InService, Stopping, Stopped, Failed, Updating,
  Deleting), ``InstanceType``, ``RoleArn``, ``CreationTime``, ``LastModifiedTime``;
  ``resources`` is ``[NotebookInstanceArn]``. SageMaker may send several events for one change.
- An event is sent when the change happens: the fake knows when its pending transitions will
  happen, so it sends each one as a message delayed until then.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings

from fakeaws import clock
from fakeaws.models import NotebookInstance, ProvisionedProduct, Queue
from fakeaws.services.sqs import message_send, queue_create

STACK_CHANGE = "CloudFormation Stack Status Change"
NOTEBOOK_CHANGE = "SageMaker Notebook Instance State Change"


def events_queue() -> Queue | None:
    """The queue the events rule targets (created with its DLQ the first time), or None."""
    url = str(getattr(settings, "FAKEAWS_EVENTS_QUEUE_URL", "") or "")
    parts = url.rstrip("/").split("/")
    if len(parts) != 5 or not parts[2].startswith("sqs."):
        return None
    account, region, name = parts[3], parts[2].split(".")[1], parts[4]
    dead = queue_create(account=account, region=region, name=f"{name}-dlq",
                        attributes={"MessageRetentionPeriod": "1209600"})
    receives = int(getattr(settings, "FAKEAWS_EVENTS_MAX_RECEIVE", 5))
    policy = json.dumps({"deadLetterTargetArn": f"arn:aws:sqs:{region}:{account}:{dead.name}",
                         "maxReceiveCount": receives})
    return queue_create(account=account, region=region, name=name,
                        attributes={"RedrivePolicy": policy, "VisibilityTimeout": "60"})


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def event_put(*, account: str, region: str, source: str, detail_type: str,
              resources: list[str], detail: dict[str, Any], at: datetime | None = None) -> None:
    """Deliver one event (at ``at``: now or a due transition) to the events queue, if any."""
    queue = events_queue()
    if queue is None:
        return
    now = clock.now()
    at = at or now
    envelope = {"version": "0", "id": str(uuid.uuid4()), "detail-type": detail_type,
                "source": source, "account": account, "time": _iso(at), "region": region,
                "resources": resources, "detail": detail}
    message_send(queue=queue, body=json.dumps(envelope),
                 delay_seconds=max(0.0, (at - now).total_seconds()))


def stack_event(product: ProvisionedProduct, status: str, *, reason: str = "",
                at: datetime | None = None) -> None:
    event_put(account=product.account, region=product.region, source="aws.cloudformation",
              detail_type=STACK_CHANGE, resources=[product.stack_id], at=at,
              detail={"stack-id": product.stack_id,
                      "status-details": {"status": status, "status-reason": reason}})


def stack_events_for_record(product: ProvisionedProduct, *, record_type: str, failure: str,
                            created: datetime, done: datetime) -> None:
    """The stack's status changes a Service Catalog request will cause, each at its time."""
    verb = {"PROVISION_PRODUCT": "CREATE", "UPDATE_PROVISIONED_PRODUCT": "UPDATE",
            "TERMINATE_PROVISIONED_PRODUCT": "DELETE"}.get(record_type, "UPDATE")
    stack_event(product, f"{verb}_IN_PROGRESS", at=created)
    if not failure:
        stack_event(product, f"{verb}_COMPLETE", at=done)
        return
    half = created + (done - created) / 2
    if verb == "CREATE":
        stack_event(product, "CREATE_FAILED", reason=failure, at=half)
        stack_event(product, "ROLLBACK_COMPLETE", at=done)
    else:
        stack_event(product, f"{verb}_ROLLBACK_IN_PROGRESS", reason=failure, at=half)
        stack_event(product, f"{verb}_ROLLBACK_COMPLETE", at=done)


def notebook_events(notebook: NotebookInstance) -> None:
    """The notebook's status now, and its pending transition at its time (if any)."""
    def put(status: str, at: datetime | None) -> None:
        event_put(account=notebook.account, region=notebook.region, source="aws.sagemaker",
                  detail_type=NOTEBOOK_CHANGE, resources=[notebook.arn], at=at,
                  detail={"NotebookInstanceArn": notebook.arn,
                          "NotebookInstanceName": notebook.name,
                          "NotebookInstanceStatus": status,
                          "InstanceType": notebook.instance_type, "RoleArn": notebook.role_arn,
                          "CreationTime": int(notebook.created_at.timestamp() * 1000),
                          "LastModifiedTime": int(notebook.modified_at.timestamp() * 1000)})
    put(notebook.status, None)
    if notebook.next_status and notebook.next_at is not None:
        put(notebook.next_status, notebook.next_at)
