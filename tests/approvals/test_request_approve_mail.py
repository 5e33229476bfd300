"""An Approve never waits for the mail relay: its notifications are queued for the worker.

The relay here is real and hung (it accepts connections and never answers); the web request
must not connect to it at all, only enqueue the mail task once the decision commits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from approvals.models import Request
from portal.models import User
from portal.tasks import email_send_task
from tests.smtp_server import SmtpListener

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_queued(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    """The messages given to the mail task (recorded on the task itself: another module's
    fixture may leave the task's own bound ``apply_async`` behind, bypassing a class patch)."""
    queued: list[dict[str, str]] = []
    monkeypatch.setattr(email_send_task, "delay", queued.append)
    return queued


@pytest.fixture
def hung_relay(settings: Any) -> Iterator[SmtpListener]:
    listener = SmtpListener(stall_connections=99).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", listener.port, 5
    yield listener
    listener.stop()


def test_an_approve_answers_without_talking_to_a_hung_relay_and_queues_the_mails(
        gpu_request: Request, manager: User, hung_relay: SmtpListener,
        mail_queued: list[dict[str, str]],
        django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    client = Client()
    client.force_login(manager)
    task = gpu_request.tasks.get()
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/requests/tasks/{task.pk}/decide", {"verdict": "approve"})
    elapsed = time.monotonic() - started  # measured for the record, not asserted
    print(f"approve with a hung relay answered in {elapsed:.3f} s")
    assert answer.status_code == 302
    gpu_request.refresh_from_db()
    assert gpu_request.tasks.filter(status="pending").get().name == "Platform admin"
    mails = mail_queued
    assert mails  # the next approvers are told, by the worker
    assert {m["kind"] for m in mails} == {"approval"}
    assert all(m["body"] and m["to"] for m in mails)
    assert hung_relay.connections == 0  # the request never opened an SMTP connection
