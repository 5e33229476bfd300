"""The out-of-office page: an approver names a delegate for a date range and ends it early;
bad input is refused with a clear message and nothing stored; every change is audited."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from approvals.models import ApprovalDelegation
from portal.models import AuditEvent, Role, User
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def deputy(db: None) -> User:
    return make_user("dave.deputy", roles=[Role.APPROVER])


def signed_in(user: User, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def form(delegate: str = "dave.deputy", starts: int = 0, ends: int = 7,
         reason: str = "Annual leave") -> dict[str, str]:
    today = timezone.localdate()
    return {"delegate": delegate, "starts_on": (today + starts * DAY).isoformat(),
            "ends_on": (today + ends * DAY).isoformat(), "reason": reason}


def test_an_approver_names_a_delegate_and_it_is_audited(manager: User, deputy: User) -> None:
    client = signed_in(manager)
    assert client.get("/requests/delegations/").status_code == 200
    response = client.post("/requests/delegations/", form())
    assert response.status_code == 302
    delegation = ApprovalDelegation.objects.get()
    assert (delegation.delegator, delegation.delegate) == (manager, deputy)
    assert delegation.ends_on - delegation.starts_on == 7 * DAY
    event = AuditEvent.objects.get(action="delegation.created")
    assert event.actor == manager and event.data["delegate"] == "dave.deputy"
    assert event.data["reason"] == "Annual leave"
    page = client.get("/requests/delegations/").content.decode()
    assert f'data-delegation="{delegation.pk}"' in page and "In force" in page
    assert "Maria Example" in signed_in(deputy).get("/requests/delegations/").content.decode()


@pytest.mark.parametrize(("values", "message"), [
    (form(delegate="maria.manager"), "your own delegate"),
    (form(starts=3, ends=2), "before the first day"),
    (form(delegate="nobody.here"), "No active user"),
    (form(delegate="ivan.inactive"), "No active user"),
    (form(starts=-1), "cannot start in the past"),
    (form(reason="x" * 501), "at most 500"),
    ({"delegate": "dave.deputy", "starts_on": "soon", "ends_on": ""}, "valid date"),
])
def test_bad_input_is_refused_and_nothing_is_stored(
    manager: User, deputy: User, values: dict[str, str], message: str
) -> None:
    make_user("ivan.inactive", is_active=False)
    response = signed_in(manager).post("/requests/delegations/", values)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ApprovalDelegation.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="delegation.").exists()


def test_overlapping_ranges_are_refused_and_adjacent_ones_accepted(
    manager: User, deputy: User, other_manager: User
) -> None:
    client = signed_in(manager)
    assert client.post("/requests/delegations/", form(starts=0, ends=7)).status_code == 302
    clash = client.post("/requests/delegations/", form(delegate="olga.othermanager",
                                                      starts=5, ends=10))
    assert clash.status_code == 400 and "the ranges overlap" in clash.content.decode()
    assert ApprovalDelegation.objects.count() == 1
    after = client.post("/requests/delegations/", form(delegate="olga.othermanager",
                                                      starts=8, ends=10))
    assert after.status_code == 302 and ApprovalDelegation.objects.count() == 2


def test_the_approver_ends_a_delegation_early(manager: User, deputy: User) -> None:
    client = signed_in(manager)
    client.post("/requests/delegations/", form())
    delegation = ApprovalDelegation.objects.get()
    assert client.post(f"/requests/delegations/{delegation.pk}/end").status_code == 302
    delegation.refresh_from_db()
    assert delegation.ended_at is not None
    assert AuditEvent.objects.get(action="delegation.ended").actor == manager
    again = client.post(f"/requests/delegations/{delegation.pk}/end")
    assert again.status_code == 409 and "already over" in again.content.decode()
    # Ended, it no longer blocks a new one over the same days.
    assert client.post("/requests/delegations/", form()).status_code == 302


def test_nobody_else_ends_it(manager: User, deputy: User, other_manager: User) -> None:
    signed_in(manager).post("/requests/delegations/", form())
    delegation = ApprovalDelegation.objects.get()
    for user in (deputy, other_manager):
        assert signed_in(user).post(
            f"/requests/delegations/{delegation.pk}/end").status_code == 404
    assert ApprovalDelegation.objects.get().ended_at is None


def test_the_page_needs_csrf(manager: User, deputy: User) -> None:
    client = signed_in(manager, csrf=True)
    assert client.post("/requests/delegations/", form()).status_code == 403
    assert not ApprovalDelegation.objects.exists()


def test_someone_with_nothing_to_approve_cannot_name_a_delegate(
    outsider: User, deputy: User
) -> None:
    client = signed_in(outsider)
    assert client.get("/requests/delegations/").status_code == 403
    assert client.post("/requests/delegations/", form()).status_code == 403
    assert not ApprovalDelegation.objects.exists()
