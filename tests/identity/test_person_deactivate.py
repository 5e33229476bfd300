"""A leaver: everything they had ends or is handed over at once, as their project says."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from approvals.models import ApprovalTask, Request
from identity.models import Departure, Handover
from identity.offboarding import AlreadyInactive, person_deactivate
from portal.models import AuditEvent, Membership, Project, User
from provisioning.models import Environment
from tests.conftest import make_user
from tests.identity.conftest import SentTasks
from tests.provisioning.conftest import approved_request

pytestmark = pytest.mark.django_db


def pending_request(requester: User, project: Project, notebook: Any,
                    approvers: list[User]) -> tuple[Request, ApprovalTask]:
    product, version = notebook
    request = approved_request(requester=requester, project=project, product=product,
                               version=version)
    request.status, request.decided_at = Request.Status.PENDING, None
    request.save()
    task = ApprovalTask.objects.create(request=request, name="Manager approval")
    task.eligible_approvers.add(*approvers)
    return request, task


def test_sessions_and_the_api_token_end_at_once(scientist: User, platform_admin: User) -> None:
    from portal.services import api_token_rotate

    browser = Client()
    browser.force_login(scientist)
    key = api_token_rotate(user=scientist)
    assert browser.get("/").status_code == 200
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/me").status_code == 200

    departure = person_deactivate(user=scientist, source="portal", actor=platform_admin,
                                  reason="Left the bank")

    assert departure.sessions_ended == 1 and departure.api_tokens_revoked == 1
    assert browser.get("/").status_code == 302  # back to sign-in
    assert api.get("/api/v1/me").status_code == 401
    event = AuditEvent.objects.get(action="person.deactivated")
    assert (event.actor, event.object_id, event.data["source"]) == (
        platform_admin, str(scientist.pk), "portal")


def test_pending_requests_are_cancelled_and_open_tasks_go_to_the_fallback(
        scientist: User, manager: User, colleague: User, project: Project,
        notebook: Any) -> None:
    theirs, _ = pending_request(scientist, project, notebook, [colleague])
    colleagues, task = pending_request(colleague, project, notebook, [manager, scientist])

    departure = person_deactivate(user=manager, source="scim")
    assert departure.tasks_reassigned == [{"task": task.pk, "request": colleagues.reference,
                                           "step": "Manager approval",
                                           "group": "ml-platform-admins"}]
    assert list(task.eligible_approvers.all()) == [scientist]
    assert manager not in task.eligible_approvers.all()
    assert set(task.eligible_groups.values_list("name", flat=True)) == {"ml-platform-admins"}
    theirs.refresh_from_db()
    assert theirs.status == Request.Status.PENDING  # only the leaver's own requests end

    person_deactivate(user=scientist, source="scim")
    theirs.refresh_from_db()
    assert theirs.status == Request.Status.CANCELLED
    assert Departure.objects.get(person=scientist).requests_cancelled == [theirs.reference]


def test_the_steps_own_escalation_group_is_the_fallback(scientist: User, manager: User,
                                                        project: Project, notebook: Any) -> None:
    _, task = pending_request(scientist, project, notebook, [manager])
    task.escalation_group = Group.objects.create(name="risk-approvers")
    task.save()
    person_deactivate(user=manager, source="scim")
    assert list(task.eligible_groups.values_list("name", flat=True)) == ["risk-approvers"]
    assert AuditEvent.objects.filter(action="approval.task_reassigned").count() == 1


def test_a_running_notebook_is_stopped_and_handed_to_the_manager(
        available: Environment, scientist: User, manager: User,
        identity_tasks: SentTasks, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        departure = person_deactivate(user=scientist, source="scim")

    handover = Handover.objects.get(departure=departure)
    assert (handover.action, handover.new_owner, handover.stopped) == ("transfer", manager, True)
    available.refresh_from_db()
    assert available.status == Environment.Status.STOPPING
    assert ("identity.tasks.handover_transfer", (handover.pk,), None) in identity_tasks.calls


def test_without_a_manager_a_project_lead_gets_it(available: Environment, scientist: User,
                                                  manager: User, project: Project) -> None:
    lead = make_user("lena.lead")
    Membership.objects.create(user=lead, project=project, role=Membership.ProjectRole.LEAD)
    Membership.objects.filter(user=manager).delete()
    project.leaver_environments = Project.LeaverEnvironments.LEAD
    project.save()
    departure = person_deactivate(user=scientist, source="scim")
    assert Handover.objects.get(departure=departure).new_owner == lead


def test_a_terminate_project_schedules_termination_after_its_grace(
        available: Environment, scientist: User, project: Project) -> None:
    project.leaver_environments = Project.LeaverEnvironments.TERMINATE
    project.leaver_grace_days = 3
    project.save()
    before = timezone.now()
    departure = person_deactivate(user=scientist, source="scim")
    handover = Handover.objects.get(departure=departure)
    assert handover.action == "terminate" and handover.new_owner is None
    assert handover.due_at is not None
    assert before + timedelta(days=3) <= handover.due_at <= timezone.now() + timedelta(days=3)


def test_nobody_to_hand_it_to_means_termination(available: Environment, scientist: User,
                                                manager: User) -> None:
    manager.is_active = False
    manager.save()
    Membership.objects.filter(role=Membership.ProjectRole.LEAD).delete()
    departure = person_deactivate(user=scientist, source="scim")
    handover = Handover.objects.get(departure=departure)
    assert handover.action == "terminate"
    assert "nobody to hand it to" in handover.detail


def test_deactivating_twice_is_refused(scientist: User) -> None:
    person_deactivate(user=scientist, source="scim")
    with pytest.raises(AlreadyInactive):
        person_deactivate(user=scientist, source="portal")
    assert Departure.objects.count() == 1
