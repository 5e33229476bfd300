"""Platform admins' dashboard lists failed notification sends (count and latest); nobody else
sees them, and the admin list of all failed sends is read-only and for platform admins only."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from portal.models import FailedEmail, User


def fail(recipient: str, *, minutes_ago: int, error: str) -> FailedEmail:
    return FailedEmail.objects.create(
        at=timezone.now() - timedelta(minutes=minutes_ago), kind="approval",
        recipient=recipient, subject="[ML portal] Approval needed", attempts=7, error=error)


def test_the_platform_admin_sees_how_many_sends_failed_and_the_latest(
        client: Client, platform_admin: User) -> None:
    fail("old@bank.example", minutes_ago=90, error="SMTPServerDisconnected: old")
    fail("new@bank.example", minutes_ago=5, error="TimeoutError: timed out")
    client.force_login(platform_admin)
    page = client.get("/").content.decode()
    assert 'id="failed-emails"' in page
    assert "<strong>2</strong> notifications could not be sent." in page
    assert "approval to new@bank.example after 7 attempts" in page
    assert "TimeoutError: timed out" in page and "old@bank.example" not in page
    assert "/admin/portal/failedemail/" in page


def test_with_no_failures_the_admin_is_told_every_mail_went_out(
        client: Client, platform_admin: User) -> None:
    client.force_login(platform_admin)
    page = client.get("/").content.decode()
    assert "Every notification was accepted by the mail relay." in page


def test_nobody_else_sees_failed_sends(client: Client, scientist: User, auditor: User,
                                       manager: User) -> None:
    fail("someone@bank.example", minutes_ago=1, error="TimeoutError: timed out")
    for user in (scientist, auditor, manager):
        client.force_login(user)
        page = client.get("/").content.decode()
        assert 'id="failed-emails"' not in page and "someone@bank.example" not in page, user
        assert client.get("/admin/portal/failedemail/").status_code in {302, 403}, user


def test_the_admin_list_is_read_only_for_the_platform_admin(
        client: Client, platform_admin: User) -> None:
    failure = fail("someone@bank.example", minutes_ago=1, error="TimeoutError: timed out")
    client.force_login(platform_admin)
    listing = client.get("/admin/portal/failedemail/")
    assert listing.status_code == 200 and b"someone@bank.example" in listing.content
    assert client.post(f"/admin/portal/failedemail/{failure.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    assert FailedEmail.objects.filter(pk=failure.pk).exists()
