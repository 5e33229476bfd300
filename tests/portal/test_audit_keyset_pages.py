"""The audit list pages by signed (at, id) cursors: Older and Newer links, ties on `at`, rows
appended meanwhile, and a bad cursor (a clear 400 with the newest page, never a 500)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core import signing
from django.test import Client

from portal import views as portal_views
from portal.keyset import cursor_for
from portal.models import AuditEvent, User

pytestmark = pytest.mark.django_db
SAME_MOMENT = datetime(2026, 3, 1, 9, tzinfo=UTC)


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(portal_views, "AUDIT_PAGE_SIZE", 3)


def _page(client: Client, **params: str) -> list[str]:
    response = client.get("/audit/", {"action": "bulk.", **params})
    assert response.status_code == 200
    return [e.object_repr for e in response.context["page"]]


def test_older_and_newer_walk_the_trail_even_when_events_share_a_moment(
    client: Client, auditor: User, small_pages: None
) -> None:
    for n in range(8):  # one moment for all: only the id orders them
        AuditEvent.objects.create(action="bulk.event", object_repr=f"e{n}", at=SAME_MOMENT)
    client.force_login(auditor)
    first = client.get("/audit/", {"action": "bulk."}).context["page"]
    assert [e.object_repr for e in first] == ["e7", "e6", "e5"] and first.newer is None
    second = client.get("/audit/", {"action": "bulk.", "older": first.older}).context["page"]
    assert [e.object_repr for e in second] == ["e4", "e3", "e2"]
    third = client.get("/audit/", {"action": "bulk.", "older": second.older}).context["page"]
    assert [e.object_repr for e in third] == ["e1", "e0"] and third.older is None
    assert _page(client, newer=third.newer) == ["e4", "e3", "e2"]
    assert _page(client, newer=second.newer) == ["e7", "e6", "e5"]  # the top: a full page


def test_events_appended_meanwhile_do_not_shift_an_older_page(
    client: Client, auditor: User, small_pages: None
) -> None:
    for n in range(6):
        AuditEvent.objects.create(action="bulk.event", object_repr=f"e{n}")
    client.force_login(auditor)
    first = client.get("/audit/", {"action": "bulk."}).context["page"]
    for n in range(6, 9):
        AuditEvent.objects.create(action="bulk.event", object_repr=f"e{n}")
    assert _page(client, older=first.older) == ["e2", "e1", "e0"]


def test_the_count_is_exact_under_the_cap(client: Client, auditor: User,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(portal_views, "AUDIT_PAGE_SIZE", 5)
    monkeypatch.setattr(portal_views, "AUDIT_PAGE_CAP", 2)
    for n in range(7):
        AuditEvent.objects.create(action="bulk.event", object_repr=f"event {n}")
    client.force_login(auditor)
    page = client.get("/audit/?action=bulk.").content.decode()
    assert "7 events" in page and "More than" not in page


@pytest.mark.parametrize("cursor", ["garbage", "WyIyMDI2Il0:1abc:forged", ""])
def test_a_bad_cursor_is_a_400_with_the_newest_page(
    client: Client, auditor: User, small_pages: None, cursor: str
) -> None:
    for n in range(4):
        AuditEvent.objects.create(action="bulk.event", object_repr=f"e{n}")
    client.force_login(auditor)
    for key in ("older", "newer"):
        response = client.get("/audit/", {"action": "bulk.", key: cursor})
        shown = [e.object_repr for e in response.context["page"]]
        if cursor:
            assert response.status_code == 400
            assert "That page link is not valid" in response.content.decode()
        assert shown == ["e3", "e2", "e1"]


def test_a_cursor_with_a_changed_id_is_refused(client: Client, auditor: User,
                                               small_pages: None) -> None:
    event = AuditEvent.objects.create(action="bulk.event", object_repr="e0")
    good = cursor_for(event)
    client.force_login(auditor)
    assert client.get("/audit/", {"older": good}).status_code == 200
    # The payload re-encoded with another id, the original signature kept.
    payload, rest = good.split(":", 1)
    at, pk = json.loads(signing.b64_decode(payload.encode()))
    forged_payload = signing.b64_encode(json.dumps([at, pk + 1], separators=(",", ":")).encode())
    forged = f"{forged_payload.decode()}:{rest}"
    assert forged != good
    assert client.get("/audit/", {"older": forged}).status_code == 400
