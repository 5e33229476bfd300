from __future__ import annotations

import pytest
from django.test import Client

from approvals.models import ApprovalPolicy
from portal.models import AuditEvent, User

pytestmark = pytest.mark.django_db


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_platform_admin_edits_policies_and_the_change_is_audited(
    platform_admin: User, demo_policies: None
) -> None:
    client = _login(platform_admin)
    assert client.get("/admin/approvals/approvalpolicy/").status_code == 200
    policy = ApprovalPolicy.objects.get()
    rule = policy.rules.get(name="GPU notebooks")
    assert client.get(f"/admin/approvals/approvalrule/{rule.pk}/change/").status_code == 200
    response = client.post("/admin/approvals/approvalpolicy/add/", {
        "name": "Production projects", "description": "", "position": "5", "active": "on",
        "rules-TOTAL_FORMS": "0", "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0", "rules-MAX_NUM_FORMS": "1000",
    })
    assert response.status_code == 302, response.content[:2000]
    assert ApprovalPolicy.objects.filter(name="Production projects").exists()
    assert AuditEvent.objects.filter(action="approvalpolicy.created",
                                     actor=platform_admin).exists()


@pytest.mark.parametrize("who", ["scientist", "manager", "auditor"])
def test_nobody_else_reaches_the_policies(who: str, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(who)
    response = _login(user).get("/admin/approvals/approvalpolicy/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_requests_are_read_only_in_the_admin(platform_admin: User, gpu_request: object) -> None:
    client = _login(platform_admin)
    assert client.get("/admin/approvals/request/").status_code == 200
    assert client.get("/admin/approvals/request/add/").status_code == 403


def test_a_rule_a_request_went_through_cannot_be_deleted(
    platform_admin: User, gpu_request: object
) -> None:
    from django.db.models import ProtectedError

    from approvals.models import ApprovalRule

    rule = ApprovalRule.objects.get(name="GPU notebooks")
    with pytest.raises(ProtectedError):
        rule.delete()
    response = _login(platform_admin).post(
        f"/admin/approvals/approvalrule/{rule.pk}/delete/", {"post": "yes"})
    assert response.status_code == 200
    assert "Cannot delete approval rule" in response.content.decode()
    assert ApprovalRule.objects.filter(pk=rule.pk).exists()


# --- the manager field decides who approves: guarded in the user admin ------------------------

def _user_change(client: Client, user: User, manager: User | None) -> int:
    response = client.post(f"/admin/portal/user/{user.pk}/change/",
                           {"manager": str(manager.pk) if manager else "", "is_active": "on"})
    return response.status_code


def test_a_platform_admin_cannot_change_his_own_manager(
    platform_admin: User, manager: User, outsider: User
) -> None:
    client = _login(platform_admin)
    page = client.get(f"/admin/portal/user/{platform_admin.pk}/change/").content.decode()
    assert 'name="manager"' not in page
    assert _user_change(client, platform_admin, outsider) == 302
    platform_admin.refresh_from_db()
    assert platform_admin.manager is None


def test_a_platform_admin_cannot_make_himself_someones_manager(
    platform_admin: User, outsider: User
) -> None:
    client = _login(platform_admin)
    assert _user_change(client, outsider, platform_admin) == 200  # the form, with its error
    outsider.refresh_from_db()
    assert outsider.manager is None
    assert not AuditEvent.objects.filter(action="user.changed").exists()


def test_nobody_edits_the_manager_the_idp_supplies(
    platform_admin: User, scientist: User, manager: User, outsider: User
) -> None:
    from django.utils import timezone

    scientist.last_saml_sign_in = timezone.now()
    scientist.save(update_fields=["last_saml_sign_in"])
    client = _login(platform_admin)
    page = client.get(f"/admin/portal/user/{scientist.pk}/change/").content.decode()
    assert 'name="manager"' not in page
    assert "maria.manager" in page
    assert _user_change(client, scientist, outsider) == 302
    scientist.refresh_from_db()
    assert scientist.manager == manager


def test_a_local_user_s_manager_can_still_be_fixed(
    platform_admin: User, outsider: User, manager: User
) -> None:
    assert _user_change(_login(platform_admin), outsider, manager) == 302
    outsider.refresh_from_db()
    assert outsider.manager == manager
