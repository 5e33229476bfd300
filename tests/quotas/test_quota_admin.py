"""Platform admins set quotas in the Django admin; every change is audited; nobody else may."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from portal.models import AuditEvent, Project, User
from quotas.models import ProjectQuota, UserQuota

pytestmark = pytest.mark.django_db


def test_granting_changing_and_removing_a_quota_is_audited(
        client: Client, platform_admin: User) -> None:
    group = Group.objects.create(name="ml-gpu-users")
    client.force_login(platform_admin)
    response = client.post("/admin/quotas/userquota/add/", {
        "measure": "gpu_instances", "group": group.pk, "amount": "2"})
    assert response.status_code == 302, response.content.decode()[:2000]
    grant = UserQuota.objects.get()
    created = AuditEvent.objects.get(action="userquota.created")
    assert created.actor == platform_admin and created.object_id == str(grant.pk)
    client.post(f"/admin/quotas/userquota/{grant.pk}/change/", {
        "measure": "gpu_instances", "group": group.pk, "amount": "3"})
    assert AuditEvent.objects.get(action="userquota.changed").data == {"fields": ["amount"]}
    client.post(f"/admin/quotas/userquota/{grant.pk}/delete/", {"post": "yes"})
    assert not UserQuota.objects.exists()
    assert AuditEvent.objects.filter(action="userquota.deleted").exists()


def test_a_project_cap_is_audited_with_its_project(client: Client, platform_admin: User,
                                                  project: Project) -> None:
    client.force_login(platform_admin)
    client.post("/admin/quotas/projectquota/add/", {
        "project": project.pk, "measure": "running_environments", "amount": "5"})
    assert ProjectQuota.objects.get().amount == 5
    assert AuditEvent.objects.get(action="projectquota.created").project == project


def test_a_fraction_of_an_environment_is_refused(client: Client, platform_admin: User) -> None:
    client.force_login(platform_admin)
    response = client.post("/admin/quotas/userquota/add/", {
        "measure": "running_environments", "group": "", "amount": "1.5"})
    assert response.status_code == 200
    assert "counted in whole numbers" in response.content.decode()
    assert not UserQuota.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="userquota.").exists()


def test_one_everyone_grant_per_measure(client: Client, platform_admin: User) -> None:
    UserQuota.objects.create(measure="daily_credits", amount=10)
    client.force_login(platform_admin)
    response = client.post("/admin/quotas/userquota/add/", {
        "measure": "daily_credits", "group": "", "amount": "20"})
    assert response.status_code == 200 and UserQuota.objects.count() == 1


def test_others_do_not_reach_the_quota_pages(client: Client, scientist: User,
                                             auditor: User) -> None:
    for user in (scientist, auditor):
        client.force_login(user)
        response = client.get("/admin/quotas/userquota/")
        assert response.status_code in (302, 403)
        assert client.post("/admin/quotas/userquota/add/", {
            "measure": "gpu_instances", "group": "", "amount": "9"}).status_code in (302, 403)
    assert not UserQuota.objects.exists()
