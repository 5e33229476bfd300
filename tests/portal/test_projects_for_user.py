"""projects_for_user / memberships_for_user: a person sees only the active projects they are in."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from portal.models import Membership, Project, User
from portal.selectors import memberships_for_user, projects_for_user


def test_a_member_sees_their_project(scientist: User, project: Project,
                                     other_project: Project) -> None:
    assert list(projects_for_user(user=scientist)) == [project]


def test_an_outsider_sees_only_their_own_project(outsider: User, project: Project,
                                                 other_project: Project) -> None:
    assert list(projects_for_user(user=outsider)) == [other_project]


def test_a_platform_admin_without_membership_sees_none(platform_admin: User,
                                                       project: Project) -> None:
    assert list(projects_for_user(user=platform_admin)) == []


def test_an_inactive_project_is_hidden(scientist: User, project: Project) -> None:
    Project.objects.filter(pk=project.pk).update(active=False)

    assert list(projects_for_user(user=scientist)) == []
    assert list(memberships_for_user(user=scientist)) == []


def test_anonymous_sees_no_project(project: Project) -> None:
    assert list(projects_for_user(user=AnonymousUser())) == []  # type: ignore[arg-type]


def test_memberships_carry_the_role_on_each_project(manager: User, project: Project) -> None:
    second = Project.objects.create(
        slug="aml", name="Anti money laundering", cost_center="CC-1", environment="uat",
        aws_account_id="333333333333", aws_region="eu-west-1",
    )
    Membership.objects.create(user=manager, project=second)

    rows = [(m.project.slug, m.role) for m in memberships_for_user(user=manager)]

    assert rows == [("aml", "member"), ("fraud", "lead")]
