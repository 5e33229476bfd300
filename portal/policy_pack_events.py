"""The policy pack's event documents (PORTAL_EVENTS_ENABLED): what to create so EventBridge
state changes reach the portal's events queue (README, "Event-driven status").

Design: one central bus. In every project account two rules on the default bus (the patterns
below) forward to the bus ``ml-portal-events`` in the portal's account, through a role the
rules assume (``events-forwarding-role``: ``events:PutEvents`` on that bus); the bus's
policy admits the project accounts; a rule ``ml-portal-state-changes`` on the bus targets the
queue of PORTAL_EVENTS_QUEUE_URL, whose policy lets only that rule send.

Facts (EventBridge user guide: "Sending and receiving events between AWS accounts",
"Permissions for Amazon SQS" under resource-based policies, "Content filtering"): a rule
targeting an SQS queue needs the queue policy to allow ``events.amazonaws.com``
``sqs:SendMessage``, conditioned on ``aws:SourceArn`` = the rule's ARN
(``arn:aws:events:<region>:<account>:rule/<bus>/<rule>`` for a rule on a custom bus); a rule
targeting another account's bus needs a role with ``events:PutEvents`` on it, and that bus's
resource policy must allow the sending accounts; a ``wildcard`` filter matches ``*`` in strings.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from portal.models import Project

VERSION = "2012-10-17"
BUS_NAME = "ml-portal-events"
RULE_NAME = "ml-portal-state-changes"
NOTEBOOK_PATTERN = {"source": ["aws.sagemaker"],
                    "detail-type": ["SageMaker Notebook Instance State Change"]}
# Only the stacks Service Catalog launches (SC-<account>-pp-<id>).
STACK_PATTERN = {"source": ["aws.cloudformation"],
                 "detail-type": ["CloudFormation Stack Status Change"],
                 "detail": {"stack-id": [{"wildcard": "arn:aws:cloudformation:*:*:stack/SC-*"}]}}


def events_queue_parts() -> tuple[str, str, str]:
    """(region, account, queue name) of PORTAL_EVENTS_QUEUE_URL."""
    parts = str(settings.PORTAL_EVENTS_QUEUE_URL).rstrip("/").split("/")
    return parts[2].split(".")[1], parts[3], parts[4]


def events_rule_arn() -> str:
    region, account, _ = events_queue_parts()
    return f"arn:aws:events:{region}:{account}:rule/{BUS_NAME}/{RULE_NAME}"


def events_bus_arn() -> str:
    region, account, _ = events_queue_parts()
    return f"arn:aws:events:{region}:{account}:event-bus/{BUS_NAME}"


def queue_policy(*, consumer_arn: str) -> dict[str, Any]:
    """The events queue's policy: the central rule sends, the portal's identity consumes."""
    region, account, name = events_queue_parts()
    queue = f"arn:aws:sqs:{region}:{account}:{name}"
    return {"Version": VERSION, "Statement": [
        {"Sid": "CentralRuleSends", "Effect": "Allow",
         "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
         "Resource": queue, "Condition": {"ArnEquals": {"aws:SourceArn": events_rule_arn()}}},
        {"Sid": "PortalConsumes", "Effect": "Allow", "Principal": {"AWS": consumer_arn},
         "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes"], "Resource": queue},
    ]}


def bus_policy(projects: list[Project]) -> dict[str, Any]:
    """The central bus's policy: the project accounts may put events on it."""
    accounts = sorted({p.aws_account_id for p in projects})
    return {"Version": VERSION, "Statement": [
        {"Sid": "ProjectAccountsForward", "Effect": "Allow",
         "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]},
         "Action": "events:PutEvents", "Resource": events_bus_arn()}]}


def forwarding_permissions() -> dict[str, Any]:
    """The role the project accounts' rules assume to forward to the central bus."""
    return {"Version": VERSION, "Statement": [
        {"Sid": "ForwardToPortalBus", "Effect": "Allow", "Action": "events:PutEvents",
         "Resource": events_bus_arn()}]}


def rule_patterns() -> dict[str, Any]:
    """The event patterns of the two rules (the same in each project account and on the bus)."""
    return {"bus": BUS_NAME, "rule": RULE_NAME, "target": events_rule_arn(),
            "patterns": {"notebook-state": NOTEBOOK_PATTERN, "stack-status": STACK_PATTERN}}
