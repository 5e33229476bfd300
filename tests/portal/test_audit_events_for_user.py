"""audit_events_for_user: the trail is for auditors and platform admins, filtered on request."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import PermissionDenied

from portal.models import AuditEvent, Project, User
from portal.selectors import audit_events_for_user


@pytest.fixture
def trail(scientist: User, outsider: User, project: Project, other_project: Project) -> None:
    AuditEvent.objects.create(action="auth.sign_in", actor=scientist,
                              actor_username=scientist.username,
                              at=datetime(2026, 3, 1, 9, tzinfo=UTC))
    AuditEvent.objects.create(action="project.changed", actor=scientist,
                              actor_username=scientist.username, project=project,
                              object_repr="Fraud detection", object_id="7",
                              at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    AuditEvent.objects.create(action="auth.sign_out", actor=outsider,
                              actor_username=outsider.username, project=other_project,
                              at=datetime(2026, 3, 3, 9, tzinfo=UTC))


def actions(**filters: object) -> list[str]:
    user = filters.pop("user")
    return [e.action for e in audit_events_for_user(user=user, **filters)]  # type: ignore[arg-type]


@pytest.mark.usefixtures("trail")
def test_an_auditor_reads_the_whole_trail_newest_first(auditor: User) -> None:
    assert actions(user=auditor) == ["auth.sign_out", "project.changed", "auth.sign_in"]


@pytest.mark.usefixtures("trail")
def test_a_platform_admin_reads_the_trail(platform_admin: User) -> None:
    assert len(actions(user=platform_admin)) == 3


@pytest.mark.usefixtures("trail")
@pytest.mark.parametrize("who", ["scientist", "manager", "outsider"])
def test_anybody_else_is_refused(who: str, request: pytest.FixtureRequest) -> None:
    with pytest.raises(PermissionDenied):
        audit_events_for_user(user=request.getfixturevalue(who))


@pytest.mark.usefixtures("trail")
def test_it_filters_by_action_prefix(auditor: User) -> None:
    assert actions(user=auditor, action="auth.") == ["auth.sign_out", "auth.sign_in"]


@pytest.mark.usefixtures("trail")
def test_it_filters_by_actor_whatever_the_case(auditor: User) -> None:
    assert actions(user=auditor, actor="Otto.Outsider") == ["auth.sign_out"]


@pytest.mark.usefixtures("trail")
def test_it_filters_by_project_slug(auditor: User) -> None:
    assert actions(user=auditor, project="fraud") == ["project.changed"]


@pytest.mark.usefixtures("trail")
def test_it_filters_by_object_name_or_id(auditor: User) -> None:
    assert actions(user=auditor, obj="fraud") == ["project.changed"]
    assert actions(user=auditor, obj="7") == ["project.changed"]


@pytest.mark.usefixtures("trail")
def test_it_filters_by_date_range_inclusive(auditor: User) -> None:
    assert actions(user=auditor, since=date(2026, 3, 2)) == ["auth.sign_out", "project.changed"]
    assert actions(user=auditor, until=date(2026, 3, 2)) == ["project.changed", "auth.sign_in"]
    assert actions(user=auditor, since=date(2026, 3, 2), until=date(2026, 3, 2)) == [
        "project.changed"
    ]
