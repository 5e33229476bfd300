"""Break-glass sign-in locks a username from an address after repeated failures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from portal.models import AuditEvent, User

URL = "/accounts/login/"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def break_glass(settings: Any, scientist: User) -> User:
    settings.PORTAL_LOCAL_LOGIN = True
    settings.PORTAL_LOCAL_LOGIN_MAX_FAILURES = 3
    settings.PORTAL_LOCAL_LOGIN_LOCKOUT_SECONDS = 900
    scientist.set_password(PASSWORD)
    scientist.save()
    return scientist


def _attempt(client: Client, password: str, ip: str = "10.0.0.9") -> Any:
    return client.post(URL, {"username": "dana.scientist", "password": password}, REMOTE_ADDR=ip)


def test_the_right_password_is_refused_after_too_many_failures(
    client: Client, break_glass: User
) -> None:
    for _ in range(3):
        assert _attempt(client, "guess").status_code == 400

    response = _attempt(client, PASSWORD)

    assert response.status_code == 400
    assert b"Too many failed attempts." in response.content
    assert "_auth_user_id" not in client.session
    locked = AuditEvent.objects.get(action="auth.sign_in_locked")
    assert (locked.actor_username, locked.source_ip) == ("dana.scientist", "10.0.0.9")


def test_failures_from_another_address_do_not_lock_this_one(
    client: Client, break_glass: User
) -> None:
    for _ in range(3):
        _attempt(client, "guess", ip="203.0.113.66")

    response = _attempt(client, PASSWORD, ip="10.0.0.9")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(break_glass.pk)


def test_the_lock_lifts_once_the_failures_age_out_of_the_window(
    client: Client, break_glass: User
) -> None:
    long_ago = timezone.now() - timedelta(seconds=901)
    for _ in range(3):
        AuditEvent.objects.create(action="auth.sign_in_failed", actor_username="dana.scientist",
                                  source_ip="10.0.0.9", at=long_ago,
                                  data={"provider": "local", "reason": "bad credentials"})

    assert _attempt(client, PASSWORD).status_code == 302


def test_failures_are_counted_per_account_whatever_the_letter_case_typed(
    client: Client, break_glass: User
) -> None:
    for typed in ("Dana.Scientist", "DANA.SCIENTIST", "dana.Scientist"):
        response = client.post(URL, {"username": typed, "password": "guess"},
                               REMOTE_ADDR="10.0.0.9")
        assert response.status_code == 400

    response = client.post(URL, {"username": "dAna.scientist", "password": PASSWORD},
                           REMOTE_ADDR="10.0.0.9")

    assert b"Too many failed attempts." in response.content
    assert "_auth_user_id" not in client.session


def test_a_differently_cased_username_still_signs_in_the_account_when_not_locked(
    client: Client, break_glass: User
) -> None:
    response = client.post(URL, {"username": "Dana.Scientist", "password": PASSWORD},
                           REMOTE_ADDR="10.0.0.9")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(break_glass.pk)


def test_a_local_sign_in_body_above_the_limit_is_refused_unread(
    client: Client, break_glass: User, settings: Any
) -> None:
    settings.PORTAL_SAML_MAX_BODY_BYTES = 20_000

    response = client.post(URL, {"username": "dana.scientist", "password": "x" * 30_000})

    assert response.status_code == 413
    assert not AuditEvent.objects.exists()
