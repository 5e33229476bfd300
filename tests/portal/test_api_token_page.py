"""The API token page: a POST issues or rotates the caller's token, shown once, audited."""

from __future__ import annotations

from django.test import Client
from rest_framework.authtoken.models import Token

from portal.models import AuditEvent, User

URL = "/account/api-token/"


def me_with_token(key: str) -> int:
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {key}").status_code


def test_someone_without_a_token_is_told_so(client: Client, scientist: User) -> None:
    client.force_login(scientist)

    response = client.get(URL)

    assert response.status_code == 200
    assert b"You have no token yet." in response.content
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_post_issues_a_token_shown_once_and_audited(client: Client, scientist: User) -> None:
    client.force_login(scientist)

    response = client.post(URL, REMOTE_ADDR="10.3.3.3")

    key = Token.objects.get(user=scientist).key
    assert key.encode() in response.content
    assert key.encode() not in client.get(URL).content
    event = AuditEvent.objects.get(action="api_token.rotated")
    assert event.actor == scientist
    assert event.object_repr == "dana.scientist"
    assert event.source_ip == "10.3.3.3"
    assert key not in str(event.data) + event.object_repr
    assert me_with_token(key) == 200


def test_rotating_replaces_the_old_token_at_once(client: Client, scientist: User) -> None:
    client.force_login(scientist)
    client.post(URL)
    old_key = Token.objects.get(user=scientist).key

    client.post(URL)

    new_key = Token.objects.get(user=scientist).key
    assert new_key != old_key
    assert me_with_token(old_key) == 403
    assert me_with_token(new_key) == 200
    assert AuditEvent.objects.filter(action="api_token.rotated").count() == 2


def test_a_rotation_touches_only_the_caller_s_token(client: Client, scientist: User,
                                                   colleague: User) -> None:
    colleague_key = Token.objects.create(user=colleague).key
    client.force_login(scientist)

    client.post(URL)

    assert Token.objects.get(user=colleague).key == colleague_key


def test_a_post_without_the_csrf_token_is_refused(scientist: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(scientist)

    response = client.post(URL)

    assert response.status_code == 403
    assert b"This form has expired" in response.content
    assert not Token.objects.filter(user=scientist).exists()


def test_anonymous_is_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.post(URL)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/account/api-token/"
    assert not Token.objects.exists()
