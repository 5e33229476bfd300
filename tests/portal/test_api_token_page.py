"""The API token page: a POST issues or rotates the caller's token, shown once, stored hashed,
expiring, audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.utils import timezone

from portal.models import ApiToken, AuditEvent, User

URL = "/account/api-token/"


def me_with_token(key: str) -> Any:
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {key}")


def issued_key(response: Any) -> str:
    body = response.content.decode()
    return body.split('<code id="token-key">', 1)[1].split("</code>", 1)[0]


def test_someone_without_a_token_is_told_so(client: Client, scientist: User) -> None:
    client.force_login(scientist)

    response = client.get(URL)

    assert response.status_code == 200
    assert b"You have no token yet." in response.content
    assert b"expire 90 days after" in response.content
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_post_issues_a_token_shown_once_and_audited(client: Client, scientist: User) -> None:
    client.force_login(scientist)

    response = client.post(URL, REMOTE_ADDR="10.3.3.3")

    key = issued_key(response)
    assert len(key) >= 40
    assert key not in client.get(URL).content.decode()
    event = AuditEvent.objects.get(action="api_token.rotated")
    assert event.actor == scientist
    assert event.object_repr == "dana.scientist"
    assert event.source_ip == "10.3.3.3"
    assert key not in str(event.data) + event.object_repr
    assert me_with_token(key).status_code == 200


def test_only_a_digest_of_the_key_is_stored(client: Client, scientist: User) -> None:
    client.force_login(scientist)
    key = issued_key(client.post(URL))

    token = ApiToken.objects.get(user=scientist)
    assert token.digest == ApiToken.digest_of(key) and token.digest != key
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM portal_apitoken")
        assert key not in repr(cursor.fetchall())
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0


def test_the_token_expires_after_the_configured_days_and_the_page_says_when(
    client: Client, scientist: User, settings: Any
) -> None:
    settings.PORTAL_API_TOKEN_DAYS = 30
    client.force_login(scientist)
    key = issued_key(client.post(URL))
    token = ApiToken.objects.get(user=scientist)
    expected = timezone.now() + timedelta(days=30)
    assert abs((token.expires_at - expected).total_seconds()) < 60
    assert f"expires on {token.expires_at:%Y-%m-%d}" in client.get(URL).content.decode()

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    refused = me_with_token(key)
    assert refused.status_code in (401, 403)
    assert refused.json()["detail"] == "Invalid or expired token."
    assert "expired on" in client.get(URL).content.decode()


def test_a_token_acts_with_the_roles_the_person_holds_now(client: Client, scientist: User) -> None:
    scientist.roles = ["auditor"]
    scientist.save()
    client.force_login(scientist)
    key = issued_key(client.post(URL))
    assert me_with_token(key).json()["roles"] == ["auditor"]

    scientist.roles = []  # the IdP dropped the group (next sign-in or SCIM update)
    scientist.save()

    assert me_with_token(key).json()["roles"] == []


def test_a_deactivated_person_s_token_stops_working(client: Client, scientist: User) -> None:
    client.force_login(scientist)
    key = issued_key(client.post(URL))
    User.objects.filter(pk=scientist.pk).update(is_active=False)

    assert me_with_token(key).status_code == 401


def test_rotating_replaces_the_old_token_at_once(client: Client, scientist: User) -> None:
    client.force_login(scientist)
    old_key = issued_key(client.post(URL))

    new_key = issued_key(client.post(URL))

    assert new_key != old_key
    assert me_with_token(old_key).status_code == 401
    assert me_with_token(new_key).status_code == 200
    assert AuditEvent.objects.filter(action="api_token.rotated").count() == 2


def test_a_rotation_touches_only_the_caller_s_token(client: Client, scientist: User,
                                                   colleague: User) -> None:
    from portal.services import api_token_rotate

    colleague_key = api_token_rotate(user=colleague)
    client.force_login(scientist)

    client.post(URL)

    assert me_with_token(colleague_key).json()["username"] == "carl.colleague"


def test_a_malformed_token_header_is_refused_without_a_500(db: None) -> None:
    for header in ("Token", "Token a b", "Token \u00e9t\u00e9"):
        response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401


def test_a_post_without_the_csrf_token_is_refused(scientist: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(scientist)

    response = client.post(URL)

    assert response.status_code == 403
    assert b"This form has expired" in response.content
    assert not ApiToken.objects.filter(user=scientist).exists()


def test_anonymous_is_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.post(URL)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/account/api-token/"
    assert not ApiToken.objects.exists()
