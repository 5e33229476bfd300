"""The events consumer against a second, independent SQS (moto's): long polling, batch delete,
and the dead-letter queue through the queue's RedrivePolicy, as AWS documents them."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from provisioning.event_queue import events_receive_once
from provisioning.models import AwsEventReceipt

pytestmark = pytest.mark.django_db


@pytest.fixture
def sqs(settings: Any) -> Any:
    settings.PORTAL_AWS_CLIENT_HOOK = ""
    settings.PORTAL_EVENTS_ENABLED = True
    with mock_aws():
        client = boto3.client("sqs", region_name="eu-west-1")
        dlq = client.create_queue(QueueName="portal-events-dlq")["QueueUrl"]
        dlq_arn = client.get_queue_attributes(
            QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        url = client.create_queue(QueueName="portal-events", Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                         "maxReceiveCount": "2"})})["QueueUrl"]
        settings.PORTAL_EVENTS_QUEUE_URL = url
        yield client, url, dlq


def envelope(event_id: str) -> str:
    return json.dumps({
        "version": "0", "id": event_id, "detail-type": "CloudFormation Stack Status Change",
        "source": "aws.cloudformation", "account": "111111111111", "region": "eu-west-1",
        "time": "2026-12-02T03:00:00Z", "resources": [],
        "detail": {"stack-id": "arn:aws:cloudformation:eu-west-1:111111111111:stack/"
                               "SC-111111111111-pp-abc/1", "status-details": {
                                   "status": "CREATE_COMPLETE", "status-reason": ""}}})


def test_events_are_handled_once_and_deleted_and_a_bad_message_goes_to_the_dlq(
        sqs: Any) -> None:
    client, url, dlq = sqs
    client.send_message(QueueUrl=url, MessageBody=envelope("e-1"))
    client.send_message(QueueUrl=url, MessageBody=envelope("e-1"))  # a duplicate delivery
    client.send_message(QueueUrl=url, MessageBody="[]")
    first = events_receive_once(client=client, wait_seconds=1)
    assert (first.received, first.handled, first.left) == (3, 2, 1)
    assert AwsEventReceipt.objects.get().event_id == "e-1"
    second = events_receive_once(client=client, wait_seconds=1)
    assert (second.received, second.handled, second.left) == (1, 0, 1)
    assert events_receive_once(client=client, wait_seconds=1).received == 0
    parked = client.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in parked] == ["[]"]
