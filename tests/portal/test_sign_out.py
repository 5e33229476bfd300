"""Sign-out: POST only, CSRF-protected, audited."""

from __future__ import annotations

from typing import Any

from django.test import Client

from portal.models import AuditEvent, User

URL = "/accounts/logout/"


def signed_in_client(user: User) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/").status_code == 200  # renders the sign-out form, sets the CSRF cookie
    return client, client.cookies["portal_csrftoken"].value


def test_it_signs_out_and_audits(scientist: User) -> None:
    client, token = signed_in_client(scientist)

    response = client.post(URL, {"csrfmiddlewaretoken": token}, REMOTE_ADDR="10.0.0.5")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="auth.sign_out")
    assert event.actor == scientist
    assert event.source_ip == "10.0.0.5"
    assert client.get("/").status_code == 302


def test_a_get_does_not_sign_out(scientist: User) -> None:
    client, _ = signed_in_client(scientist)

    response = client.get(URL)

    assert response.status_code == 405
    assert client.get("/").status_code == 200
    assert not AuditEvent.objects.filter(action="auth.sign_out").exists()


def test_a_post_without_the_csrf_token_is_refused(scientist: User) -> None:
    client, _ = signed_in_client(scientist)

    response = client.post(URL)

    assert response.status_code == 403
    assert b"This form has expired" in response.content
    assert client.get("/").status_code == 200
    assert not AuditEvent.objects.filter(action="auth.sign_out").exists()


def test_anonymous_sign_out_writes_nothing(db: None, settings: Any) -> None:
    settings.PORTAL_LOCAL_LOGIN = True  # so the sign-in page has a form and sets the CSRF cookie
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")

    response = client.post(URL, {"csrfmiddlewaretoken": client.cookies["portal_csrftoken"].value})

    assert response.status_code == 302
    assert not AuditEvent.objects.exists()
