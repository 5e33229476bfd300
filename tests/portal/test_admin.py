"""The Django admin: platform admins manage projects; every change lands in the audit trail."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from portal.models import AuditEvent, Membership, Project, Role, User
from tests.conftest import make_user

PROJECTS = "/admin/portal/project/"
ADD_PROJECT = PROJECTS + "add/"
EVENTS = "/admin/portal/auditevent/"


def project_form(**overrides: str) -> dict[str, str]:
    data = {
        "slug": "churn", "name": "Churn prediction", "description": "",
        "cost_center": "CC-5005", "environment": "dev", "aws_account_id": "444444444444",
        "aws_region": "eu-west-1", "aws_role_arn": "", "aws_external_id": "",
        "monthly_budget": "1500", "budget_policy": "off", "active": "on",
        "leaver_environments": "manager", "leaver_grace_days": "14", "access_group": "",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def change_form(project: Project, **overrides: str) -> dict[str, str]:
    data = project_form(
        slug=project.slug, name=project.name, cost_center=project.cost_center,
        environment=project.environment, aws_account_id=project.aws_account_id,
        aws_region=project.aws_region, monthly_budget=str(project.monthly_budget),
        budget_policy=project.budget_policy, aws_role_arn=project.aws_role_arn,
        aws_external_id=project.aws_external_id,
    )
    memberships = list(project.memberships.order_by("pk"))
    data["memberships-TOTAL_FORMS"] = data["memberships-INITIAL_FORMS"] = str(len(memberships))
    for n, m in enumerate(memberships):
        data.update({f"memberships-{n}-id": str(m.pk), f"memberships-{n}-project": str(project.pk),
                     f"memberships-{n}-user": str(m.user_id), f"memberships-{n}-role": m.role})
    data.update(overrides)
    return data


# --- who reaches the project pages -------------------------------------------------------------

def test_a_platform_admin_reaches_the_project_pages(client: Client, platform_admin: User,
                                                    project: Project) -> None:
    client.force_login(platform_admin)

    assert client.get(PROJECTS).status_code == 200
    assert client.get(ADD_PROJECT).status_code == 200
    assert client.get(f"{PROJECTS}{project.pk}/change/").status_code == 200


@pytest.mark.parametrize("who", ["scientist", "auditor", "manager"])
def test_other_roles_do_not_reach_the_project_pages(
    who: str, client: Client, request: pytest.FixtureRequest, project: Project
) -> None:
    client.force_login(request.getfixturevalue(who))

    for url in (PROJECTS, ADD_PROJECT, f"{PROJECTS}{project.pk}/change/"):
        response = client.get(url, follow=True)
        assert response.status_code == 403, url
        assert b"Fraud detection" not in response.content


def test_staff_status_without_the_platform_admin_role_is_not_enough(
    client: Client, project: Project
) -> None:
    """Admin access follows the IdP-granted role, not a leftover is_staff flag."""
    former_admin = make_user("fred.former", roles=[Role.AUDITOR], is_staff=True)
    client.force_login(former_admin)

    assert client.get(PROJECTS).status_code == 403
    assert client.get(ADD_PROJECT).status_code == 403
    assert client.post(ADD_PROJECT, project_form()).status_code == 403
    assert not Project.objects.filter(slug="churn").exists()


def test_anonymous_is_sent_to_the_portal_sign_in(client: Client, db: None) -> None:
    response = client.get(PROJECTS, follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert b'name="password"' not in response.content


def test_the_admin_login_form_takes_no_password_when_local_login_is_off(
    client: Client, platform_admin: User, settings: Any
) -> None:
    assert settings.PORTAL_LOCAL_LOGIN is False
    platform_admin.set_password("s3cret-enough-for-tests")
    platform_admin.save()

    client.post("/admin/login/", {"username": "pat.admin",
                                  "password": "s3cret-enough-for-tests", "next": "/admin/"})

    assert "_auth_user_id" not in client.session
    assert client.get(PROJECTS).status_code == 302


def test_a_signed_in_platform_admin_at_the_admin_login_goes_to_the_admin(
    client: Client, platform_admin: User
) -> None:
    client.force_login(platform_admin)

    response = client.get("/admin/login/?next=/admin/portal/project/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


# --- changes are audited -------------------------------------------------------------------------

def test_creating_a_project_with_a_member_is_audited(client: Client, platform_admin: User,
                                                     scientist: User) -> None:
    client.force_login(platform_admin)
    form = project_form(**{
        "memberships-TOTAL_FORMS": "1",
        "memberships-0-user": str(scientist.pk), "memberships-0-role": "lead",
    })

    response = client.post(ADD_PROJECT, form, REMOTE_ADDR="10.4.4.4")

    assert response.status_code == 302, response.content
    churn = Project.objects.get(slug="churn")
    assert Membership.objects.get(project=churn).user == scientist
    created = AuditEvent.objects.get(action="project.created")
    assert created.actor == platform_admin
    assert created.project == churn
    assert created.object_id == str(churn.pk)
    assert created.source_ip == "10.4.4.4"
    assert "aws_account_id" in created.data["fields"]
    membership = AuditEvent.objects.get(action="membership.created")
    assert membership.project == churn
    assert membership.object_repr == "dana.scientist in Churn prediction (lead)"


def test_changing_a_project_is_audited_with_the_changed_fields(
    client: Client, platform_admin: User, project: Project
) -> None:
    client.force_login(platform_admin)

    response = client.post(f"{PROJECTS}{project.pk}/change/",
                           change_form(project, monthly_budget="2500.00"))

    assert response.status_code == 302, response.content
    project.refresh_from_db()
    assert str(project.monthly_budget) == "2500.00"
    event = AuditEvent.objects.get(action="project.changed")
    assert event.data == {"fields": ["monthly_budget"]}
    assert event.project == project


def test_changing_and_removing_memberships_is_audited(
    client: Client, platform_admin: User, project: Project, colleague: User
) -> None:
    client.force_login(platform_admin)
    memberships = list(project.memberships.order_by("pk"))
    colleague_row = next(n for n, m in enumerate(memberships) if m.user == colleague)
    scientist_row = next(n for n, m in enumerate(memberships)
                         if m.user.username == "dana.scientist")

    response = client.post(f"{PROJECTS}{project.pk}/change/", change_form(project, **{
        f"memberships-{colleague_row}-DELETE": "on",
        f"memberships-{scientist_row}-role": "lead",
    }))

    assert response.status_code == 302, response.content
    assert not project.memberships.filter(user=colleague).exists()
    assert project.memberships.get(user__username="dana.scientist").role == "lead"
    deleted = AuditEvent.objects.get(action="membership.deleted")
    assert deleted.object_repr == "carl.colleague in Fraud detection (member)"
    assert deleted.project == project
    changed = AuditEvent.objects.get(action="membership.changed")
    assert changed.object_repr == "dana.scientist in Fraud detection (lead)"


def test_a_project_cannot_be_deleted_through_the_admin(
    client: Client, platform_admin: User, project: Project
) -> None:
    client.force_login(platform_admin)

    response = client.post(f"{PROJECTS}{project.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Project.objects.filter(pk=project.pk, active=True).exists()


def test_fixing_a_manager_link_is_audited(client: Client, platform_admin: User,
                                          outsider: User, manager: User) -> None:
    client.force_login(platform_admin)

    response = client.post(f"/admin/portal/user/{outsider.pk}/change/",
                           {"manager": str(manager.pk), "is_active": "on"})

    assert response.status_code == 302, response.content
    outsider.refresh_from_db()
    assert outsider.manager == manager
    assert AuditEvent.objects.get(action="user.changed").data == {"fields": ["manager"]}


# --- the audit event admin is read-only ----------------------------------------------------------

@pytest.fixture
def event(scientist: User) -> AuditEvent:
    return AuditEvent.objects.create(action="auth.sign_in", actor=scientist,
                                     actor_username=scientist.username)


def test_a_platform_admin_can_read_audit_events(client: Client, platform_admin: User,
                                                event: AuditEvent) -> None:
    client.force_login(platform_admin)

    listing = client.get(EVENTS)
    detail = client.get(f"{EVENTS}{event.pk}/change/")

    assert listing.status_code == 200
    assert b"dana.scientist" in listing.content
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert b'name="action"' not in detail.content


def test_nobody_changes_adds_or_deletes_audit_events_in_the_admin(
    client: Client, platform_admin: User, event: AuditEvent
) -> None:
    client.force_login(platform_admin)

    change = client.post(f"{EVENTS}{event.pk}/change/", {"action": "forged"})
    add = client.post(f"{EVENTS}add/", {"action": "forged"})
    delete = client.post(f"{EVENTS}{event.pk}/delete/", {"post": "yes"})
    bulk = client.post(EVENTS, {"action": "delete_selected", "_selected_action": [event.pk],
                                "post": "yes"})

    assert change.status_code == 403
    assert add.status_code == 403
    assert delete.status_code == 403
    assert bulk.status_code in (200, 302)
    assert AuditEvent.objects.filter(pk=event.pk, action="auth.sign_in").exists()
    assert not AuditEvent.objects.filter(action="forged").exists()


@pytest.mark.parametrize("who", ["scientist", "auditor"])
def test_other_roles_do_not_read_audit_events_in_the_admin(
    who: str, client: Client, request: pytest.FixtureRequest, event: AuditEvent
) -> None:
    client.force_login(request.getfixturevalue(who))

    response = client.get(EVENTS, follow=True)

    assert response.status_code == 403
    assert b"auth.sign_in" not in response.content
