"""portal.notifications.notify: one in-app notice per person, and the e-mail beside it."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from portal.models import Notification, User
from portal.notifications import notify
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_writes_one_notice_per_active_person_and_mails_them_with_the_absolute_link(
        scientist: User, colleague: User, settings: object) -> None:
    gone = make_user("gina.gone")
    gone.is_active = False
    gone.save()
    notify(recipients=[scientist, colleague, scientist, gone], kind="lease",
           text="Your lease ends tomorrow", link="/environments/x/",
           email_subject="Lease ends", email_lines=["Extend it or save your work."])

    notices = Notification.objects.order_by("recipient__username")
    assert [(n.recipient.username, n.kind, n.text, n.link, n.read_at) for n in notices] == [
        ("carl.colleague", "lease", "Your lease ends tomorrow", "/environments/x/", None),
        ("dana.scientist", "lease", "Your lease ends tomorrow", "/environments/x/", None)]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([scientist.email, colleague.email])
    body = mail.outbox[0].body
    assert "Extend it or save your work." in body
    assert "Open in the portal: http://localhost:8000/environments/x/" in body
    assert mail.outbox[0].subject == "[ML portal] Lease ends"


def test_without_an_email_subject_it_only_writes_the_notice(scientist: User) -> None:
    notify(recipients=[scientist], kind="lease", text="Lease extended", link="/environments/")
    assert Notification.objects.filter(recipient=scientist).count() == 1
    assert mail.outbox == []


def test_the_email_body_is_the_text_when_no_lines_are_given(scientist: User) -> None:
    notify(recipients=[scientist], kind="lease", text="Lease extended", link="/",
           email_subject="Lease")
    assert mail.outbox[0].body.startswith("Lease extended\n")


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/x", "requests/1/"])
def test_it_refuses_a_link_outside_the_portal_and_writes_nothing(
        scientist: User, link: str) -> None:
    with pytest.raises(ValueError, match="portal path"):
        notify(recipients=[scientist], kind="x", text="t", link=link, email_subject="s")
    assert not Notification.objects.exists() and mail.outbox == []


def test_a_rolled_back_change_leaves_no_notice_and_sends_no_mail(scientist: User) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipients=[scientist], kind="x", text="t", link="/", email_subject="s")
        raise RuntimeError("the change failed")
    assert not Notification.objects.exists() and mail.outbox == []
