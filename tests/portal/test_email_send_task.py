"""The mail task against a real SMTP listener: it delivers; a hung relay times out after
EMAIL_TIMEOUT and is retried (Celery's retry, run eagerly here), then recorded as a failed send;
a permanent refusal is recorded at once, without retrying."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from portal.models import AuditEvent, FailedEmail
from portal.notifications import email_failure_recorded, email_retry_delay
from portal.tasks import email_send_task
from tests.smtp_server import SmtpListener

pytestmark = pytest.mark.django_db
MESSAGE = {"kind": "approval", "subject": "[ML portal] Approved", "to": "dana@bank.example",
           "body": "Your request was approved.\n\nOpen the request: https://portal/requests/1"}


@pytest.fixture
def relay(settings: Any) -> Iterator[SmtpListener]:
    listener = SmtpListener().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", listener.port
    settings.EMAIL_TIMEOUT = 1
    settings.PORTAL_EMAIL_MAX_RETRIES = 2
    settings.PORTAL_EMAIL_RETRY_SECONDS = 0
    yield listener
    listener.stop()


def send() -> Any:
    return email_send_task.apply(args=(MESSAGE,)).get()


def test_it_delivers_the_message_to_the_relay(relay: SmtpListener) -> None:
    assert send() == "sent"
    [message] = relay.messages
    assert message["Subject"] == "[ML portal] Approved" and message["To"] == "dana@bank.example"
    assert "Open the request: https://portal/requests/1" in message.get_payload()
    assert relay.envelopes[0][1] == ["dana@bank.example"]
    assert FailedEmail.objects.count() == 0


def test_a_hung_relay_times_out_is_retried_and_then_recorded_as_a_failed_send(
        relay: SmtpListener) -> None:
    relay.stall_connections = 99
    heard: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        heard.append(kwargs)

    email_failure_recorded.connect(receiver)
    try:
        assert send() == "failed"
    finally:
        email_failure_recorded.disconnect(receiver)
    assert relay.connections == 3  # the first try and PORTAL_EMAIL_MAX_RETRIES=2 retries
    failure = FailedEmail.objects.get()
    assert (failure.kind, failure.recipient, failure.subject, failure.attempts) == (
        "approval", "dana@bank.example", "[ML portal] Approved", 3)
    assert "timed out" in failure.error
    assert AuditEvent.objects.get(action="notification.failed").data["attempts"] == 3
    assert [(h["kind"], h["attempts"]) for h in heard] == [("approval", 3)]
    assert relay.messages == []


def test_a_relay_that_hangs_once_gets_the_message_on_the_retry(relay: SmtpListener) -> None:
    relay.stall_connections = 1
    assert send() == "sent"
    assert relay.connections == 2 and len(relay.messages) == 1
    assert FailedEmail.objects.count() == 0


def test_a_permanent_refusal_is_recorded_at_once_without_retrying(relay: SmtpListener) -> None:
    relay.refuse_recipients = True
    assert send() == "refused"
    assert relay.connections == 1
    failure = FailedEmail.objects.get()
    assert failure.attempts == 1 and "550" in failure.error


def test_a_relay_nobody_listens_on_is_retried_then_recorded(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    settings.PORTAL_EMAIL_MAX_RETRIES, settings.PORTAL_EMAIL_RETRY_SECONDS = 1, 0
    assert send() == "failed"
    assert FailedEmail.objects.get().attempts == 2


def test_the_retry_delay_doubles_from_the_setting_up_to_ten_minutes(settings: Any) -> None:
    settings.PORTAL_EMAIL_RETRY_SECONDS = 10
    assert 10 <= email_retry_delay(0) <= 12
    assert 80 <= email_retry_delay(3) <= 96
    assert 600 <= email_retry_delay(30) <= 720
