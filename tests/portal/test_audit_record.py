"""audit_record: one append-only line per fact, with who, what, where from."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from portal.models import AuditEvent, Membership, Project, User
from portal.services import audit_record


def test_it_records_the_actor_object_project_and_data(scientist: User, project: Project) -> None:
    event = audit_record(action="project.viewed", actor=scientist, obj=project, project=project,
                         data={"tab": "members"})

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.action == "project.viewed"
    assert stored.actor == scientist
    assert stored.actor_username == "dana.scientist"
    assert stored.object_type == "portal.project"
    assert stored.object_id == str(project.pk)
    assert stored.object_repr == "Fraud detection"
    assert stored.project == project
    assert stored.data == {"tab": "members"}
    assert stored.source_ip is None


def test_it_takes_the_actor_ip_and_request_id_from_the_request(scientist: User) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3")
    request.user = scientist
    request.request_id = "req-42"  # type: ignore[attr-defined]

    event = audit_record(action="thing.done", request=request)

    assert event.actor == scientist
    assert event.actor_username == "dana.scientist"
    assert event.source_ip == "10.1.2.3"
    assert event.request_id == "req-42"


def test_it_trusts_x_forwarded_for_only_as_far_as_the_configured_proxies(
    scientist: User, settings: object
) -> None:
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1  # type: ignore[attr-defined]
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.7"
    )
    request.user = scientist

    assert audit_record(action="thing.done", request=request).source_ip == "192.0.2.7"


def test_it_ignores_x_forwarded_for_without_trusted_proxies(scientist: User) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6")
    request.user = scientist

    assert audit_record(action="thing.done", request=request).source_ip == "10.0.0.1"


def test_it_keeps_the_claimed_username_of_an_anonymous_actor(db: None) -> None:
    request = RequestFactory().post("/")
    request.user = AnonymousUser()

    event = audit_record(action="auth.sign_in_failed", request=request,
                         actor_username="mallory")

    assert event.actor is None
    assert event.actor_username == "mallory"


def test_it_prefers_the_explicit_actor_over_the_request_user(
    scientist: User, platform_admin: User
) -> None:
    request = RequestFactory().get("/")
    request.user = platform_admin

    assert audit_record(action="thing.done", actor=scientist, request=request).actor == scientist


def test_an_event_without_actor_or_object_leaves_those_columns_empty(db: None) -> None:
    event = audit_record(action="system.tick")

    assert (event.actor, event.actor_username) == (None, "")
    assert (event.object_type, event.object_id, event.object_repr) == ("", "", "")
    assert (event.source_ip, event.request_id, event.project) == (None, "", None)


def test_a_long_object_repr_is_cut_at_300_characters(db: None) -> None:
    # Each column at its limit (PostgreSQL enforces them), the membership's str() longer than 300.
    project = Project.objects.create(
        slug="long", name="n" * 200, cost_center="CC-1", environment="dev",
        aws_account_id="111111111111", aws_region="eu-west-1")
    user = User.objects.create(username="u" * 150)
    membership = Membership.objects.create(user=user, project=project)
    assert len(str(membership)) > 300

    assert audit_record(action="thing.done", obj=membership).object_repr == str(membership)[:300]
