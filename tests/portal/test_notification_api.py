"""GET /api/v1/notifications (paginated like every list) and POST /api/v1/notifications/read."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from portal.models import Notification, User
from portal.notifications import notify

pytestmark = pytest.mark.django_db


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _notices(user: User, count: int) -> list[int]:
    return [notify(recipients=[user], kind="approval", text=f"Approval needed {i}",
                   link="/requests/")[0].pk for i in range(count)]


def test_it_lists_my_notices_paginated_newest_first(scientist: User, colleague: User) -> None:
    ids = _notices(scientist, 3)
    _notices(colleague, 2)
    answer = _api(scientist).get("/api/v1/notifications?limit=2").json()
    assert answer["count"] == 3 and answer["pages"] == 2 and answer["page"] == 1
    assert [n["id"] for n in answer["results"]] == [ids[2], ids[1]]
    first = answer["results"][0]
    assert first["text"] == "Approval needed 2" and first["link"] == "/requests/"
    assert first["kind"] == "approval" and first["read"] is False and first["read_at"] is None
    assert _api(scientist).get("/api/v1/notifications?page=2&limit=2").json()["results"][0][
        "id"] == ids[0]


def test_unread_true_lists_only_unread_ones(scientist: User) -> None:
    ids = _notices(scientist, 2)
    Notification.objects.filter(pk=ids[0]).update(read_at="2026-01-01T00:00:00Z")
    answer = _api(scientist).get("/api/v1/notifications?unread=true").json()
    assert [n["id"] for n in answer["results"]] == [ids[1]]


def test_mark_read_by_id_ignores_other_people_s_ids(scientist: User, colleague: User) -> None:
    mine = _notices(scientist, 2)
    (theirs,) = _notices(colleague, 1)
    answer = _api(scientist).post("/api/v1/notifications/read", {"ids": [mine[0], theirs]},
                                  format="json")
    assert answer.status_code == 200 and answer.json() == {"marked": 1, "unread": 1}
    assert Notification.objects.get(pk=theirs).read_at is None


def test_mark_read_without_ids_marks_all_of_mine(scientist: User) -> None:
    _notices(scientist, 3)
    answer = _api(scientist).post("/api/v1/notifications/read", {}, format="json")
    assert answer.json() == {"marked": 3, "unread": 0}


@pytest.mark.parametrize("body", [{"ids": "all"}, {"ids": ["1"]}, {"ids": [0]},
                                  {"ids": [2**63]}, {"ids": list(range(1, 502))}])
def test_bad_ids_are_a_400_and_change_nothing(scientist: User, body: dict[str, object]) -> None:
    _notices(scientist, 1)
    answer = _api(scientist).post("/api/v1/notifications/read", body, format="json")
    assert answer.status_code == 400 and "ids" in answer.json()
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_anonymous_callers_get_a_401(db: None) -> None:
    assert APIClient().get("/api/v1/notifications").status_code == 401
    assert APIClient().post("/api/v1/notifications/read", {}, format="json").status_code == 401


def test_session_callers_need_the_csrf_token_to_mark_read(scientist: User) -> None:
    _notices(scientist, 1)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(scientist)
    assert client.post("/api/v1/notifications/read", {}, format="json").status_code == 403
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
