"""A real Celery worker on the real broker sends a notification to a real SMTP listener: the
relay hangs on the first try (the worker times out after EMAIL_TIMEOUT and retries), takes the
message on the second; the worker's JSON log lines for it carry the web request's id."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from portal.logs import request_context_start
from portal.models import FailedEmail
from portal.notifications import email_notify
from tests.conftest import make_user
from tests.provisioning.worker import WorkerProcess
from tests.smtp_server import SmtpListener

pytestmark = pytest.mark.django_db(transaction=True)
REQUEST_ID = "mail-worker-test-7f3a"


@pytest.fixture
def real_broker() -> None:
    """The mail task goes to the real broker (tests/conftest.py leaves it alone)."""


@pytest.fixture
def relay() -> Iterator[SmtpListener]:
    listener = SmtpListener(stall_connections=1).start()
    yield listener
    listener.stop()


@pytest.fixture
def worker(real_broker: None, relay: SmtpListener) -> Iterator[WorkerProcess]:
    process = WorkerProcess(extra_env={
        "PORTAL_TEST_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(relay.port), "EMAIL_TIMEOUT": "1",
        "PORTAL_EMAIL_RETRY_SECONDS": "1", "PORTAL_EMAIL_MAX_RETRIES": "3",
        "PORTAL_LOG_FORMAT": "json"})
    process.start(purge=True)
    yield process
    process.stop()


def test_the_worker_times_out_on_a_hung_relay_retries_and_delivers(
        worker: WorkerProcess, relay: SmtpListener) -> None:
    ann = make_user("ann.lee")
    request_context_start(REQUEST_ID)  # as the web middleware does for a request
    try:
        with transaction.atomic():
            email_notify(recipients=[ann], subject="Ready", lines=["Your notebook is ready."],
                         link_label="Open the environment", link="https://portal/e/1",
                         what="environment")
    finally:
        request_context_start(None)
    deadline = time.monotonic() + 60
    while not relay.messages:
        assert time.monotonic() < deadline, "no mail delivered. Worker output:\n" + worker.output()
        time.sleep(0.2)
    [message] = relay.messages
    assert message["Subject"] == "[ML portal] Ready" and message["To"] == ann.email
    assert relay.connections == 2  # the hung first connection, then the retry
    assert FailedEmail.objects.count() == 0

    def logged() -> list[dict[str, Any]]:
        records = []
        for line in list(worker.lines):
            try:
                records.append(json.loads(line))
            except ValueError:
                continue  # Celery's start-up banner is printed, not logged
        return [r for r in records if r["logger"] == "portal.tasks"]

    # The relay has the message before the worker logs its delivery: wait for that line too.
    while len(logged()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    ours = logged()
    assert [r["level"] for r in ours] == ["WARNING", "INFO"], worker.output()
    assert "retrying" in ours[0]["message"] and "timed out" in ours[0]["message"]
    assert all(r["request_id"] == REQUEST_ID for r in ours), ours
