"""Event-driven status with the real processes: a Celery worker on the real broker provisions, a
``manage.py consume_events`` process reads the fake's EventBridge events from its SQS queue; the
status follows the stack's completion within 5 s and DescribeRecord is asked at most twice."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction

from fakeaws.events import events_queue
from fakeaws.models import CallLog, Record
from portal.models import Project, User
from provisioning.models import AwsEventReceipt, Environment, EventsConsumerBeat
from provisioning.services import environment_provision
from tests.provisioning.conftest import approved_request, make_notebook_product
from tests.provisioning.worker import FOLLOW_SETTINGS, ROOT, WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)
QUEUE = "https://sqs.eu-west-1.amazonaws.com/999999999999/portal-events"
EVENTS_ENV = {"PORTAL_EVENTS_ENABLED": "true", "PORTAL_EVENTS_QUEUE_URL": QUEUE,
              "FAKEAWS_OPERATION_SECONDS": "4"}


class ConsumerProcess:
    """``manage.py consume_events`` in a subprocess, on this test run's database."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
               "PORTAL_TEST_WORKER_DATABASE": str(connection.settings_dict["NAME"]),
               "FAKEAWS_CATALOG_FILE": str(ROOT / "tests/provisioning/catalog/catalog.yaml"),
               "FAKEAWS_CONSISTENCY_SECONDS": "0", "PYTHONUNBUFFERED": "1",
               **{k: str(v) for k, v in FOLLOW_SETTINGS.items()}, **EVENTS_ENV}
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "consume_events"], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def processes(real_broker: None, settings: Any) -> Iterator[tuple[WorkerProcess, Any]]:
    settings.FAKEAWS_EVENTS_QUEUE_URL = QUEUE
    with transaction.atomic():
        events_queue()  # what manage.py fakeaws_events_queue creates in the demo
    worker = WorkerProcess(extra_env=EVENTS_ENV)
    worker.start(purge=True)
    consumer = ConsumerProcess()
    yield worker, consumer
    consumer.stop()
    worker.stop()


def test_the_consumer_settles_a_provisioning_within_5_s_with_two_describe_records(
        processes: tuple[WorkerProcess, ConsumerProcess], scientist: User, project: Project,
        settings: Any) -> None:
    worker, consumer = processes
    deadline = time.monotonic() + 60
    while not EventsConsumerBeat.objects.exists():  # the consumer's first receive
        assert time.monotonic() < deadline, "".join(consumer.lines)
        time.sleep(0.2)
    settings.PORTAL_EVENTS_ENABLED = True  # this process hands off as a deployment's web does
    product, version = make_notebook_product(project)
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version)
    with transaction.atomic():
        environment = environment_provision(request=request)
    assert environment is not None
    deadline = time.monotonic() + 60
    while Environment.objects.get(pk=environment.pk).status != "available":
        assert time.monotonic() < deadline, worker.output() + "".join(consumer.lines)
        time.sleep(0.1)
    environment.refresh_from_db()
    done = Record.objects.get(record_id=environment.last_record_id).done_at
    assert environment.available_at is not None
    assert 0 <= (environment.available_at - done).total_seconds() <= 5
    assert CallLog.objects.filter(operation="DescribeRecord").count() <= 2
    # The event did it: its check found the record done (the receipt is written after it).
    deadline = time.monotonic() + 10
    while not AwsEventReceipt.objects.filter(outcome__startswith="CREATE_COMPLETE").exists():
        assert time.monotonic() < deadline, "".join(consumer.lines)
        time.sleep(0.1)
    receipt = AwsEventReceipt.objects.get(outcome__startswith="CREATE_COMPLETE")
    assert receipt.outcome == "CREATE_COMPLETE: available", "".join(consumer.lines)
