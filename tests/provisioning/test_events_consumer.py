"""Event-driven status: the fake AWS puts EventBridge events on its SQS queue, the consumer
(``provisioning.event_queue``) long-polls it through boto3 and the event runs the follow-up's
check; DescribeRecord polling stays the fallback."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from catalog.models import Product
from fakeaws import clock
from fakeaws.baseline import Baseline
from fakeaws.models import CallLog, QueueMessage
from portal.models import Project, User
from provisioning.event_queue import events_client, events_receive_once
from provisioning.follow import environment_follow_run
from provisioning.models import AwsEventReceipt, Environment
from provisioning.provision_run import environment_provision_run
from provisioning.services import environment_provision
from tests.provisioning import fake_portal
from tests.provisioning.fake_portal import approved, request_values

pytestmark = pytest.mark.django_db
fake_aws = fake_portal.fake_aws
shapes_catalog = fake_portal.shapes_catalog
NOTEBOOK = "demo/notebook-v2.yaml"
QUEUE = "https://sqs.eu-west-1.amazonaws.com/999999999999/portal-events"
Status = Environment.Status


@pytest.fixture
def events_on(settings: Any, fake_aws: Baseline) -> None:
    from django.db import transaction

    from fakeaws.events import events_queue

    settings.PORTAL_EVENTS_ENABLED = True
    settings.PORTAL_EVENTS_QUEUE_URL = QUEUE
    settings.FAKEAWS_EVENTS_QUEUE_URL = QUEUE
    settings.FAKEAWS_EVENTS_MAX_RECEIVE = 2
    settings.FAKEAWS_OPERATION_SECONDS = 30
    with transaction.atomic():
        events_queue()  # deployed by the platform team (manage.py fakeaws_events_queue)


def provisioning(shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
                 project: Project, capture: Any) -> Environment:
    product = shapes_catalog[NOTEBOOK]
    request = approved(requester=scientist, project=project, product=product,
                       parameters=request_values(product.versions.get(), fake_aws))
    with capture(execute=True):
        environment = environment_provision(request=request)
        assert environment is not None
        assert environment_provision_run(environment_id=environment.pk) == "provisioning"
    return Environment.objects.get(pk=environment.pk)


def describes() -> int:
    return CallLog.objects.filter(operation="DescribeRecord").count()


def check(environment: Environment, capture: Any) -> Environment:
    with capture(execute=True):
        environment_follow_run(environment_id=environment.pk, attempt=environment.follow_attempt)
    return Environment.objects.get(pk=environment.pk)


def test_the_stack_event_makes_it_available_with_two_describe_record_calls_in_all(
        events_on: None, shapes_catalog: dict[str, Product], fake_aws: Baseline,
        scientist: User, project: Project, django_capture_on_commit_callbacks: Any) -> None:
    client = events_client()
    events_receive_once(client=client, wait_seconds=0)  # a healthy consumer: its beat
    environment = provisioning(shapes_catalog, fake_aws, scientist, project,
                               django_capture_on_commit_callbacks)
    clock.advance(6)
    environment = check(environment, django_capture_on_commit_callbacks)
    assert environment.status == Status.PROVISIONING and describes() == 1
    # Events cover it: the fallback check waits PORTAL_EVENTS_FALLBACK_SECONDS, not 10 s.
    assert environment.next_check_at is not None
    assert (environment.next_check_at - environment.updated_at).total_seconds() >= 299
    report = events_receive_once(client=client, wait_seconds=0)
    assert report.handled >= 1  # CREATE_IN_PROGRESS and Pending: handled, nothing changes
    assert Environment.objects.get(pk=environment.pk).status == Status.PROVISIONING
    assert describes() == 1
    clock.advance(30)  # the stack completes; its event becomes visible on the queue
    with django_capture_on_commit_callbacks(execute=True):
        report = events_receive_once(client=client, wait_seconds=0)
    environment = Environment.objects.get(pk=environment.pk)
    assert environment.status == Status.AVAILABLE
    assert environment.notebook_instance_name
    assert describes() == 2
    assert report.left == 0 and not QueueMessage.objects.filter(queue__name="portal-events",
                                                                visible_at__lte=clock.now())
    assert AwsEventReceipt.objects.filter(outcome__startswith="CREATE_COMPLETE").exists()


def test_a_notebook_stop_ends_with_its_state_change_event(
        events_on: None, shapes_catalog: dict[str, Product], fake_aws: Baseline,
        scientist: User, project: Project, django_capture_on_commit_callbacks: Any) -> None:
    from provisioning.lifecycle import environment_stop

    client = events_client()
    environment = provisioning(shapes_catalog, fake_aws, scientist, project,
                               django_capture_on_commit_callbacks)
    clock.advance(31)
    with django_capture_on_commit_callbacks(execute=True):
        events_receive_once(client=client, wait_seconds=0)
    environment = Environment.objects.get(pk=environment.pk)
    assert environment.status == Status.AVAILABLE
    with django_capture_on_commit_callbacks(execute=True):
        environment_stop(environment=environment, user=scientist)
    environment = check(Environment.objects.get(pk=environment.pk),
                        django_capture_on_commit_callbacks)  # sends StopNotebookInstance
    assert environment.status == Status.STOPPING
    clock.advance(31)
    with django_capture_on_commit_callbacks(execute=True):
        events_receive_once(client=client, wait_seconds=0)
    assert Environment.objects.get(pk=environment.pk).status == Status.STOPPED
    assert AwsEventReceipt.objects.filter(outcome__startswith="Stopped").exists()


def test_a_second_delivery_of_the_same_event_id_is_ignored(
        events_on: None, shapes_catalog: dict[str, Product], fake_aws: Baseline,
        scientist: User, project: Project, django_capture_on_commit_callbacks: Any) -> None:
    from fakeaws.models import ProvisionedProduct

    client = events_client()
    environment = provisioning(shapes_catalog, fake_aws, scientist, project,
                               django_capture_on_commit_callbacks)
    stack = ProvisionedProduct.objects.get(pp_id=environment.provisioned_product_id).stack_id
    body = json.dumps({  # a settled status while the record is still in progress: each
        # handling of it would ask DescribeRecord again
        "version": "0", "id": "dup-1", "detail-type": "CloudFormation Stack Status Change",
        "source": "aws.cloudformation", "account": project.aws_account_id,
        "region": project.aws_region, "time": "2026-12-02T03:00:00Z", "resources": [stack],
        "detail": {"stack-id": stack, "status-details": {"status": "CREATE_COMPLETE",
                                                         "status-reason": ""}}})
    for _ in range(2):  # EventBridge's at-least-once delivery: the same id twice
        client.send_message(QueueUrl=QUEUE, MessageBody=body)
        with django_capture_on_commit_callbacks(execute=True):
            report = events_receive_once(client=client, wait_seconds=0)
        assert report.left == 0
    assert describes() == 1  # one check for two deliveries
    assert AwsEventReceipt.objects.filter(event_id="dup-1").count() == 1
    assert Environment.objects.get(pk=environment.pk).status == Status.PROVISIONING
    clock.advance(31)
    done = next(m for m in QueueMessage.objects.filter(queue__name="portal-events")
                if "CREATE_COMPLETE" in m.body)
    client.send_message(QueueUrl=QUEUE, MessageBody=done.body)  # the real one, twice
    with django_capture_on_commit_callbacks(execute=True):
        events_receive_once(client=client, wait_seconds=0)
    assert Environment.objects.get(pk=environment.pk).status == Status.AVAILABLE
    assert describes() == 2
    assert AwsEventReceipt.objects.filter(event_id=json.loads(done.body)["id"]).count() == 1
    assert not QueueMessage.objects.filter(queue__name="portal-events").exists()


def test_a_malformed_message_is_not_deleted_and_ends_in_the_dead_letter_queue(
        events_on: None, fake_aws: Baseline, caplog: pytest.LogCaptureFixture) -> None:
    client = events_client()
    events_receive_once(client=client, wait_seconds=0)  # the queue and its DLQ exist now
    client.send_message(QueueUrl=QUEUE, MessageBody="{not an event")
    client.send_message(QueueUrl=QUEUE, MessageBody=json.dumps(
        {"version": "0", "id": "e-1", "detail-type": "CloudFormation Stack Status Change",
         "source": "aws.cloudformation", "account": "111111111111", "region": "eu-west-1",
         "time": "2026-12-02T03:00:00Z", "resources": [], "detail": {"stack-id": 7}}))
    for _ in range(2):  # FAKEAWS_EVENTS_MAX_RECEIVE receives, none deleted
        report = events_receive_once(client=client, wait_seconds=0)
        assert (report.received, report.handled, report.left) == (2, 0, 2)
        clock.advance(61)  # the queue's visibility timeout
    assert events_receive_once(client=client, wait_seconds=0).received == 0
    parked = client.receive_message(QueueUrl=QUEUE + "-dlq", MaxNumberOfMessages=10)
    assert sorted(m["Body"][:6] for m in parked["Messages"]) == ['{"vers', "{not a"]
    assert not AwsEventReceipt.objects.exists()
    assert "left for the dead-letter queue" in caplog.text


def test_without_a_healthy_consumer_polling_finishes_it_with_the_ordinary_backoff(
        events_on: None, shapes_catalog: dict[str, Product], fake_aws: Baseline,
        scientist: User, project: Project, django_capture_on_commit_callbacks: Any) -> None:
    environment = provisioning(shapes_catalog, fake_aws, scientist, project,
                               django_capture_on_commit_callbacks)  # no consumer ever beat
    clock.advance(6)
    environment = check(environment, django_capture_on_commit_callbacks)
    assert environment.next_check_at is not None
    assert (environment.next_check_at - environment.updated_at).total_seconds() < 20
    clock.advance(30)
    environment = check(environment, django_capture_on_commit_callbacks)
    assert environment.status == Status.AVAILABLE


def test_the_status_follows_the_event_within_five_seconds(
        events_on: None, settings: Any, shapes_catalog: dict[str, Product], fake_aws: Baseline,
        scientist: User, project: Project, django_capture_on_commit_callbacks: Any) -> None:
    settings.FAKEAWS_OPERATION_SECONDS = 2  # real time: the fake's clock is not moved
    client = events_client()
    environment = provisioning(shapes_catalog, fake_aws, scientist, project,
                               django_capture_on_commit_callbacks)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # the consumer loop, as consume_events runs it
        with django_capture_on_commit_callbacks(execute=True):
            events_receive_once(client=client, wait_seconds=1)
        environment = Environment.objects.get(pk=environment.pk)
        if environment.status != Status.PROVISIONING:
            break
    assert environment.status == Status.AVAILABLE and environment.available_at is not None
    done = environment.created_at  # the event's time is the record's end
    from fakeaws.models import Record

    done = Record.objects.get(record_id=environment.last_record_id).done_at
    assert 0 <= (environment.available_at - done).total_seconds() <= 5


def test_an_event_ahead_of_the_record_brings_the_next_check_near_not_the_fallback(
        events_on: None, shapes_catalog: dict[str, Product], fake_aws: Baseline,
        scientist: User, project: Project, django_capture_on_commit_callbacks: Any) -> None:
    from fakeaws.models import ProvisionedProduct

    client = events_client()
    events_receive_once(client=client, wait_seconds=0)
    environment = provisioning(shapes_catalog, fake_aws, scientist, project,
                               django_capture_on_commit_callbacks)
    clock.advance(6)
    environment = check(environment, django_capture_on_commit_callbacks)
    stack = ProvisionedProduct.objects.get(pp_id=environment.provisioned_product_id).stack_id
    client.send_message(QueueUrl=QUEUE, MessageBody=json.dumps({
        "version": "0", "id": "early-1", "detail-type": "CloudFormation Stack Status Change",
        "source": "aws.cloudformation", "account": project.aws_account_id,
        "region": project.aws_region, "time": "2026-12-02T03:00:00Z", "resources": [stack],
        "detail": {"stack-id": stack, "status-details": {"status": "CREATE_COMPLETE",
                                                         "status-reason": ""}}}))
    with django_capture_on_commit_callbacks(execute=True):
        events_receive_once(client=client, wait_seconds=0)
    environment = Environment.objects.get(pk=environment.pk)
    assert environment.status == Status.PROVISIONING  # the record is still in progress
    assert describes() == 2
    assert environment.next_check_at is not None
    assert (environment.next_check_at - environment.updated_at).total_seconds() < 10


def test_the_consume_events_command_receives_handles_and_beats(events_on: None) -> None:
    from django.core.management import call_command

    from provisioning.events_health import events_consumer_healthy
    from provisioning.models import EventsConsumerBeat

    assert not events_consumer_healthy()
    events_client().send_message(QueueUrl=QUEUE, MessageBody=json.dumps(
        {"version": "0", "id": "cmd-1", "detail-type": "SageMaker Notebook Instance State Change",
         "source": "aws.sagemaker", "account": "111111111111", "region": "eu-west-1",
         "time": "2026-12-02T03:00:00Z", "resources": [],
         "detail": {"NotebookInstanceName": "nb", "NotebookInstanceStatus": "InService"}}))
    call_command("consume_events", "--once", "--wait", "0")
    assert AwsEventReceipt.objects.get(event_id="cmd-1").outcome == "InService: no environment"
    assert EventsConsumerBeat.objects.count() == 1 and events_consumer_healthy()
    assert not QueueMessage.objects.filter(queue__name="portal-events").exists()
