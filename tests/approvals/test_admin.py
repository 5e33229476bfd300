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
