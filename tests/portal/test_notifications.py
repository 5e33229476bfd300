"""The portal's email sender: one queued mail per active addressee, on commit; a broker outage
is a recorded failed send, never an error for the change that was committed."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from portal.models import AuditEvent, FailedEmail
from portal.notifications import email_notify
from portal.tasks import email_send_task
from tests.conftest import make_user


@pytest.mark.django_db
def test_one_mail_per_active_addressee_after_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    ann = make_user("ann.lee")
    gone = make_user("gus.gone", is_active=False)
    mute = make_user("max.mute", email="")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email_notify(recipients=[ann, gone, mute, ann], subject="Approved", lines=["It is done."],
                     link_label="Open the thing", link="https://portal.example/x/1",
                     what="test")
    assert mail.outbox == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [[ann.email]]
    message = mail.outbox[0]
    assert message.subject == "[ML portal] Approved"
    assert message.body == ("It is done.\n\nOpen the thing: https://portal.example/x/1\n\n"
                            "— ML environment portal")


@pytest.mark.django_db
def test_nobody_to_mail_queues_nothing(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        email_notify(recipients=[make_user("gus.gone", is_active=False)], subject="s", lines=[],
                     link_label="l", link="u", what="test")
    assert callbacks == []


@pytest.mark.django_db
def test_the_message_is_queued_for_the_worker_not_sent_in_the_request(
    django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    queued: list[Any] = []
    monkeypatch.setattr(email_send_task, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        email_notify(recipients=[make_user("ann.lee"), make_user("bob.lee")], subject="Ready",
                     lines=["Your notebook is ready."], link_label="Open", link="https://p/e/1",
                     what="environment")
    assert mail.outbox == []
    assert [(m["to"], m["kind"], m["subject"]) for m in queued] == [
        ("ann.lee@bank.example", "environment", "[ML portal] Ready"),
        ("bob.lee@bank.example", "environment", "[ML portal] Ready")]


@pytest.mark.django_db
def test_a_broker_outage_is_a_recorded_failed_send_not_an_error(
    django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broker_down(message: Any) -> None:
        raise ConnectionRefusedError("broker unreachable")

    monkeypatch.setattr(email_send_task, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        email_notify(recipients=[make_user("ann.lee")], subject="s", lines=["x"],
                     link_label="l", link="u", what="approval")
    failure = FailedEmail.objects.get()
    assert (failure.kind, failure.recipient, failure.attempts) == ("approval",
                                                                   "ann.lee@bank.example", 0)
    assert "broker unreachable" in failure.error
    assert AuditEvent.objects.filter(action="notification.failed").count() == 1
    assert "Could not queue a approval notification" in caplog.text
