"""Sessions after SAML sign-in: roles age out, sign-out reaches the IdP, expired rows are purged."""

from __future__ import annotations

import base64
import zlib
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from config.schedules import beat_schedule
from portal.models import AuditEvent, User
from portal.tasks import sessions_clear_expired_task
from tests.saml_crafted import Claims
from tests.saml_idp import SamlBrowser


def sign_in(browser: SamlBrowser) -> None:
    start = browser.start()
    response = browser.post_response(browser.idp.sign_in_response(Claims(
        name_id="dana.scientist", attributes={"uid": ["dana.scientist"]},
        in_response_to=start.request_id)))
    assert response.wsgi_request.user.is_authenticated


def test_a_saml_session_ends_once_its_roles_are_older_than_the_lifetime(
    crafted: SamlBrowser, settings: Any
) -> None:
    settings.PORTAL_SESSION_ROLE_SECONDS = 900
    sign_in(crafted)
    assert crafted.client.get("/").status_code == 200

    User.objects.update(last_saml_sign_in=timezone.now() - timedelta(seconds=901))
    response = crafted.client.get("/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in crafted.client.session
    assert AuditEvent.objects.filter(action="auth.session_roles_expired").count() == 1


def test_a_young_saml_session_keeps_working(crafted: SamlBrowser, settings: Any) -> None:
    settings.PORTAL_SESSION_ROLE_SECONDS = 900
    sign_in(crafted)
    User.objects.update(last_saml_sign_in=timezone.now() - timedelta(seconds=880))

    assert crafted.client.get("/").status_code == 200


def test_a_break_glass_session_is_not_ended_by_the_role_lifetime(
    client: Client, scientist: User, settings: Any
) -> None:
    settings.PORTAL_SESSION_ROLE_SECONDS = 60
    scientist.last_saml_sign_in = timezone.now() - timedelta(days=1)
    scientist.save()
    client.force_login(scientist, backend="django.contrib.auth.backends.ModelBackend")

    assert client.get("/").status_code == 200


def test_sign_out_also_ends_the_idp_session_where_it_has_a_logout_endpoint(
    crafted: SamlBrowser,
) -> None:
    sign_in(crafted)

    response = crafted.client.post("/accounts/logout/")

    assert "_auth_user_id" not in crafted.client.session
    location = urlparse(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == crafted.idp.slo_url
    query = parse_qs(location.query)
    xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15).decode()
    assert "dana.scientist</saml:NameID>" in xml
    assert "SessionIndex" in xml
    assert AuditEvent.objects.filter(action="auth.sign_out").count() == 1


def test_sign_out_stays_on_the_portal_when_the_idp_has_no_logout_endpoint(
    crafted: SamlBrowser, settings: Any
) -> None:
    settings.SOCIALACCOUNT_PROVIDERS["saml"]["APPS"][0]["settings"]["idp"].pop("slo_url")
    sign_in(crafted)

    response = crafted.client.post("/accounts/logout/")

    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in crafted.client.session


def test_expired_sessions_are_purged_from_beat(db: None) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    old, fresh = SessionStore(), SessionStore()
    old["x"], fresh["x"] = 1, 2
    old.set_expiry(-10)
    old.save()
    fresh.save()

    sessions_clear_expired_task()

    assert list(Session.objects.values_list("session_key", flat=True)) == [fresh.session_key]
    entry = beat_schedule()["portal-clear-expired-sessions"]
    assert entry["task"] == "portal.tasks.sessions_clear_expired"
    assert entry["schedule"] <= 3600


def test_sign_out_works_when_the_saml_app_is_gone_since_sign_in(
    crafted: SamlBrowser, settings: Any
) -> None:
    sign_in(crafted)
    settings.SOCIALACCOUNT_PROVIDERS = {"saml": {"APPS": []}}

    response = crafted.client.post("/accounts/logout/")

    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in crafted.client.session
