"""The sign-in page: SSO first; username and password only where PORTAL_LOCAL_LOGIN is on."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from portal.models import AuditEvent, User
from portal.saml_config import saml_app_settings

URL = "/accounts/login/"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def saml_configured(settings: Any) -> None:
    idp = {"entity_id": "https://idp.bank.example", "sso_url": "https://idp.bank.example/sso",
           "x509cert": "MIIBfake"}
    settings.SOCIALACCOUNT_PROVIDERS = {
        "saml": {"provider_class": "portal.sso.PortalSAMLProvider",
                 "APPS": [{"client_id": "sso", "name": "Company SSO",
                           "settings": saml_app_settings(idp)}]}
    }


@pytest.fixture
def local_login(settings: Any) -> None:
    settings.PORTAL_LOCAL_LOGIN = True


@pytest.fixture
def with_password(scientist: User) -> User:
    scientist.set_password(PASSWORD)
    scientist.save()
    return scientist


def signed_in_username(client: Client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).username if user_id else None


@pytest.mark.usefixtures("saml_configured")
def test_it_offers_the_sso_button_when_saml_is_configured(client: Client, db: None) -> None:
    response = client.get(URL)

    assert response.status_code == 200
    assert b'id="sso-sign-in"' in response.content
    assert b'action="/accounts/saml/sso/login/"' in response.content


def test_it_says_so_when_saml_is_not_configured(client: Client, db: None) -> None:
    response = client.get(URL)

    assert response.status_code == 200
    assert b'id="sso-sign-in"' not in response.content
    assert b"Single sign-on is not configured" in response.content


@pytest.mark.usefixtures("saml_configured")
def test_it_shows_no_password_form_by_default(client: Client, db: None, settings: Any) -> None:
    assert settings.PORTAL_LOCAL_LOGIN is False

    response = client.get(URL)

    assert b'name="password"' not in response.content
    assert b"Local account" not in response.content


@pytest.mark.usefixtures("saml_configured", "local_login")
def test_it_shows_the_password_form_when_local_login_is_on(client: Client, db: None) -> None:
    response = client.get(URL)

    assert b'id="sso-sign-in"' in response.content
    assert b'name="password"' in response.content


def test_a_password_post_is_refused_when_local_login_is_off(
    client: Client, with_password: User
) -> None:
    response = client.post(URL, {"username": "dana.scientist", "password": PASSWORD})

    assert response.status_code == 403
    assert signed_in_username(client) is None
    assert not AuditEvent.objects.filter(action="auth.sign_in").exists()
    assert client.get("/").status_code == 302


@pytest.mark.usefixtures("local_login")
def test_local_sign_in_succeeds_and_is_audited(client: Client, with_password: User) -> None:
    response = client.post(URL, {"username": "dana.scientist", "password": PASSWORD},
                           REMOTE_ADDR="10.9.8.7")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_username(client) == "dana.scientist"
    event = AuditEvent.objects.get(action="auth.sign_in")
    assert event.actor == with_password
    assert event.data == {"method": "local"}
    assert event.source_ip == "10.9.8.7"
    assert event.request_id


@pytest.mark.usefixtures("local_login")
def test_a_wrong_password_is_refused_and_audited(client: Client, with_password: User) -> None:
    response = client.post(URL, {"username": "dana.scientist", "password": "guess"},
                           REMOTE_ADDR="10.9.8.7")

    assert response.status_code == 400
    assert b"Unknown username or wrong password." in response.content
    assert signed_in_username(client) is None
    event = AuditEvent.objects.get(action="auth.sign_in_failed")
    assert event.actor is None
    assert event.actor_username == "dana.scientist"
    assert event.source_ip == "10.9.8.7"
    assert event.data == {"provider": "local", "reason": "bad credentials"}
    assert "guess" not in str(event.data)
    assert not AuditEvent.objects.filter(action="auth.sign_in").exists()


@pytest.mark.usefixtures("local_login")
def test_an_unknown_username_is_refused_and_audited(client: Client, db: None) -> None:
    response = client.post(URL, {"username": "nobody", "password": "x"})

    assert response.status_code == 400
    assert signed_in_username(client) is None
    assert AuditEvent.objects.get(action="auth.sign_in_failed").actor_username == "nobody"


@pytest.mark.usefixtures("local_login")
def test_a_deactivated_person_cannot_sign_in(client: Client, with_password: User) -> None:
    User.objects.filter(pk=with_password.pk).update(is_active=False)

    response = client.post(URL, {"username": "dana.scientist", "password": PASSWORD})

    assert response.status_code == 400
    assert signed_in_username(client) is None


@pytest.mark.usefixtures("local_login")
def test_it_follows_a_local_next_url(client: Client, with_password: User) -> None:
    response = client.post(URL, {"username": "dana.scientist", "password": PASSWORD,
                                 "next": "/audit/"})

    assert response["Location"] == "/audit/"


@pytest.mark.usefixtures("local_login")
def test_it_ignores_a_next_url_to_another_site(client: Client, with_password: User) -> None:
    response = client.post(URL, {"username": "dana.scientist", "password": PASSWORD,
                                 "next": "https://evil.example/phish"})

    assert response["Location"] == "/"


@pytest.mark.usefixtures("local_login")
def test_a_password_post_without_csrf_token_is_refused(with_password: User) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(URL, {"username": "dana.scientist", "password": PASSWORD})

    assert response.status_code == 403
    assert signed_in_username(client) is None


def test_a_signed_in_person_is_sent_on(client: Client, scientist: User) -> None:
    client.force_login(scientist)

    response = client.get(URL + "?next=/account/api-token/")

    assert response.status_code == 302
    assert response["Location"] == "/account/api-token/"
