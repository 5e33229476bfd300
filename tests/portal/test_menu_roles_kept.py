"""Issue 16: the menu's "may approve" / "has a project view" answers are kept in the session for
PORTAL_MENU_ROLE_SECONDS instead of being asked on every page (several EXISTS each time)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.models import User
from provisioning.menu_roles import MENU_SESSION_KEY
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

INBOX = 'data-nav="approvals:inbox"'


def _page(client: Client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_a_new_report_brings_the_inbox_entry_once_the_kept_answer_is_old(
        scientist: User, monkeypatch: pytest.MonkeyPatch, settings: object) -> None:
    lee = make_user("lee.lead")
    client = Client()
    client.force_login(lee)  # worked out at sign-in
    assert client.session[MENU_SESSION_KEY][0] == lee.pk
    first, kept = _page(client)
    assert INBOX not in first
    settings.PORTAL_MENU_ROLE_SECONDS = 0  # type: ignore[attr-defined]
    asked = _page(client)[1]
    assert kept < asked  # kept: the roles were not asked again
    settings.PORTAL_MENU_ROLE_SECONDS = 60  # type: ignore[attr-defined]
    scientist.manager = lee
    scientist.save(update_fields=["manager"])
    assert INBOX not in _page(client)[0]  # still the kept answer
    later = timezone.now() + timedelta(seconds=61)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert INBOX in _page(client)[0]


def test_zero_asks_on_every_page(scientist: User, settings: object) -> None:
    settings.PORTAL_MENU_ROLE_SECONDS = 0  # type: ignore[attr-defined]
    lee = make_user("lee.lead")
    client = Client()
    client.force_login(lee)
    assert INBOX not in _page(client)[0]
    scientist.manager = lee
    scientist.save(update_fields=["manager"])
    assert INBOX in _page(client)[0]


def test_the_kept_answer_belongs_to_the_user_who_was_asked(
        scientist: User, manager: User) -> None:
    """A session that changes hands (another sign-in) never shows the other person's menu."""
    client = Client()
    client.force_login(manager)
    assert INBOX in _page(client)[0]
    client.force_login(scientist)
    assert INBOX not in _page(client)[0]


def test_new_roles_from_the_idp_bring_the_entry_at_once() -> None:
    """The answers are kept for the roles they were asked with: a sign-in whose SAML groups make
    the person a platform admin after they were kept (as the sign-in's own receiver keeps them
    before the roles are applied) asks again on the next page."""
    pat = make_user("pat.admin")
    client = Client()
    client.force_login(pat)
    assert INBOX not in _page(client)[0]
    pat.roles = ["catalog_admin"]
    pat.save(update_fields=["roles"])
    assert INBOX in _page(client)[0]
