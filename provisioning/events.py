"""EventBridge state changes → the follow-up's check, now instead of at its next poll.

An event never sets a status itself: it names the environment whose wait it ends and runs that
environment's follow-up check (``follow.environment_follow_run`` with its current attempt), which
reads AWS and moves the status through the transition table exactly as a polled check does. A
superseded follow-up then finds a newer attempt and stops; a scheduled one finds the status
changed and stops.

Facts (EventBridge and CloudFormation/SageMaker event references; details in
``fakeaws/events.py``, which emits the same shapes):
- Every event has ``version``, ``id``, ``detail-type``, ``source``, ``account``, ``time``,
  ``region``, ``resources``, ``detail``; delivery is at least once, duplicates share the ``id``.
- "CloudFormation Stack Status Change" (``aws.cloudformation``): ``detail.stack-id`` is the
  stack ARN, ``detail.status-details.status`` its new status. Service Catalog names a
  provisioned product's stack ``SC-<account>-pp-<id>``, so the name gives the provisioned
  product id ``pp-<id>``. Only a settled status (``*_COMPLETE``, ``*_FAILED``) ends a wait.
- "SageMaker Notebook Instance State Change" (``aws.sagemaker``): ``detail.NotebookInstanceName``
  and ``detail.NotebookInstanceStatus``; InService, Stopped and Failed end a start or a stop.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import transaction

from provisioning import follow
from provisioning.models import AwsEventReceipt, Environment
from provisioning.services import environment_locked, follow_delay, follow_schedule

logger = logging.getLogger(__name__)
Status = Environment.Status

STACK_CHANGE = ("aws.cloudformation", "CloudFormation Stack Status Change")
NOTEBOOK_CHANGE = ("aws.sagemaker", "SageMaker Notebook Instance State Change")
ENVELOPE = ("id", "detail-type", "source", "account", "region", "detail")
NOTEBOOK_SETTLED = frozenset({"InService", "Stopped", "Failed"})


class MalformedEvent(ValueError):
    """A message that is not an EventBridge event of the kinds the rules send."""


def event_parse(body: str) -> dict[str, Any]:
    """The envelope of an SQS message body; ``MalformedEvent`` when it is not one."""
    try:
        envelope = json.loads(body)
    except ValueError as exc:
        raise MalformedEvent(f"not JSON: {exc}") from None
    if not isinstance(envelope, dict):
        raise MalformedEvent("not a JSON object")
    missing = [key for key in ENVELOPE if key not in envelope]
    if missing:
        raise MalformedEvent(f"no {', '.join(missing)}")
    if not isinstance(envelope["detail"], dict) or not str(envelope["id"]).strip():
        raise MalformedEvent("detail is not an object, or the id is empty")
    return envelope


def _text(detail: dict[str, Any], *path: str) -> str:
    node: Any = detail
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, str) or not node:
        raise MalformedEvent(f"detail has no {'.'.join(path)}")
    return node


def _stack_targets(envelope: dict[str, Any]) -> tuple[str, list[Environment]]:
    detail = envelope["detail"]
    stack_id = _text(detail, "stack-id")
    status = _text(detail, "status-details", "status")
    arn = stack_id.split(":", 5)
    if len(arn) != 6 or not arn[5].startswith("stack/"):
        raise MalformedEvent(f"stack-id is not a stack ARN: {stack_id[:200]}")
    name = arn[5].split("/")[1]
    prefix = f"SC-{envelope['account']}-pp-"
    if not name.startswith(prefix):
        return "not-provisioned-product", []
    if not (status.endswith("_COMPLETE") or status.endswith("_FAILED")):
        return "in-progress", []
    found = Environment.objects.filter(
        provisioned_product_id="pp-" + name[len(prefix):],
        project__aws_account_id=envelope["account"], project__aws_region=envelope["region"],
        status__in=(Status.PROVISIONING, Status.UPDATING, Status.TERMINATING))
    return status, list(found)


def _notebook_targets(envelope: dict[str, Any]) -> tuple[str, list[Environment]]:
    detail = envelope["detail"]
    name = _text(detail, "NotebookInstanceName")
    status = _text(detail, "NotebookInstanceStatus")
    if status not in NOTEBOOK_SETTLED:
        return "in-progress", []
    found = Environment.objects.filter(
        notebook_instance_name=name, project__aws_account_id=envelope["account"],
        project__aws_region=envelope["region"], status__in=(Status.STARTING, Status.STOPPING))
    return status, list(found)


def _check(environment: Environment) -> str:
    """The follow-up's check, now. If AWS has not caught up with its own event (a stack can be
    complete a moment before Service Catalog's record says so), the next check is made soon,
    not after the fallback wait: the event said the end is here."""
    seen = environment.status
    outcome = follow.environment_follow_run(environment_id=environment.pk,
                                            attempt=environment.follow_attempt)
    if outcome.result == "waiting":
        with transaction.atomic():
            locked = environment_locked(environment.pk)
            if locked.status == seen and locked.follow_attempt == outcome.attempt:
                follow_schedule(locked, attempt=outcome.attempt + 1,
                                delay=follow_delay(0))
    return outcome.result


def event_handle(envelope: dict[str, Any]) -> str:
    """Handle one parsed event once (by its id); returns what happened, for the log.

    The id is recorded after the checks ran: a consumer killed in between handles it again on
    redelivery, which the follow-up's attempt numbers make harmless.
    """
    event_id = str(envelope["id"])[:64]
    if AwsEventReceipt.objects.filter(event_id=event_id).exists():
        return "duplicate"
    kind = (envelope["source"], envelope["detail-type"])
    if kind == STACK_CHANGE:
        status, targets = _stack_targets(envelope)
    elif kind == NOTEBOOK_CHANGE:
        status, targets = _notebook_targets(envelope)
    else:
        status, targets = "other-kind", []
    results = [_check(environment) for environment in targets]
    outcome = f"{status}: {', '.join(results)}" if results else f"{status}: no environment"
    AwsEventReceipt.objects.get_or_create(
        event_id=event_id, defaults={"detail_type": str(envelope["detail-type"])[:80],
                                     "outcome": outcome[:40]})
    logger.info("Event %s (%s) %s", event_id, envelope["detail-type"], outcome)
    return outcome
