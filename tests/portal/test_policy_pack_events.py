"""The policy pack's event documents: linted like the others, and saying what AWS needs."""

from __future__ import annotations

from typing import Any

import pytest

from portal.models import Project
from portal.policy_pack import policy_pack
from tests.portal.test_policy_pack import lint

pytestmark = pytest.mark.django_db
QUEUE = "https://sqs.eu-west-1.amazonaws.com/999999999999/portal-events"
RULE = "arn:aws:events:eu-west-1:999999999999:rule/ml-portal-events/ml-portal-state-changes"


@pytest.fixture
def events_on(settings: Any) -> None:
    settings.PORTAL_EVENTS_ENABLED = True
    settings.PORTAL_EVENTS_QUEUE_URL = QUEUE


def test_with_events_on_the_pack_adds_the_queue_bus_role_and_patterns_lint_clean(
        events_on: None, project: Project, other_project: Project) -> None:
    documents = {d.name: d for d in policy_pack(projects=[project, other_project])}
    events = [documents[name] for name in ("events-queue-policy", "events-bus-policy",
                                           "events-forwarding-role")]
    for document in events:
        assert lint(document) == [], document.name
    send = documents["events-queue-policy"].body["Statement"][0]
    assert send["Principal"] == {"Service": "events.amazonaws.com"}
    assert send["Action"] == "sqs:SendMessage"
    assert send["Resource"] == "arn:aws:sqs:eu-west-1:999999999999:portal-events"
    assert send["Condition"] == {"ArnEquals": {"aws:SourceArn": RULE}}
    bus = documents["events-bus-policy"].body["Statement"][0]
    assert bus["Principal"]["AWS"] == sorted(
        f"arn:aws:iam::{p.aws_account_id}:root" for p in (project, other_project))
    patterns = documents["events-rule-patterns"].body["patterns"]
    assert patterns["notebook-state"]["detail-type"] == [
        "SageMaker Notebook Instance State Change"]
    assert patterns["stack-status"]["source"] == ["aws.cloudformation"]


def test_with_events_off_the_pack_has_no_event_documents(project: Project) -> None:
    assert not [d for d in policy_pack(projects=[project]) if d.name.startswith("events-")]


def test_the_lint_bites_on_a_queue_policy_without_its_resource(
        events_on: None, project: Project) -> None:
    document = next(d for d in policy_pack(projects=[project])
                    if d.name == "events-queue-policy")
    broken = type(document)(name=document.name, kind=document.kind, title=document.title,
                            body={**document.body, "Statement": [
                                {k: v for k, v in document.body["Statement"][0].items()
                                 if k != "Resource"}]})
    assert lint(broken) != []
