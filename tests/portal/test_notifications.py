"""The portal's email sender: one mail per active addressee, on commit, a mail outage logged."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from portal import notifications
from portal.notifications import email_notify
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
def test_a_mail_outage_is_logged_not_raised(
    django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Down:
        def send_messages(self, messages: list[Any]) -> int:
            raise OSError("mail relay unreachable")

    monkeypatch.setattr(notifications, "get_connection", lambda: Down())
    with django_capture_on_commit_callbacks(execute=True):
        email_notify(recipients=[make_user("ann.lee")], subject="s", lines=["x"],
                     link_label="l", link="u", what="approval")
    assert "Could not send 1 approval notification(s)" in caplog.text
