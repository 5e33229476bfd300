"""The dashboard's projects and manager (``portal.selectors.memberships_and_manager``): one
statement compiled once per process, reading what ``memberships_for_user`` reads, each person's
own memberships only."""

from __future__ import annotations

from typing import Any

import pytest

from portal import selectors
from portal.models import Membership, Project, User
from portal.selectors import memberships_and_manager, memberships_for_user

pytestmark = pytest.mark.django_db


def _fields(instance: Any) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_each_membership_and_its_project_are_the_orm_s(
        scientist: User, manager: User, outsider: User, project: Project,
        other_project: Project, django_assert_num_queries: Any) -> None:
    Membership.objects.filter(user=scientist).update(role=Membership.ProjectRole.LEAD)
    for person in (scientist, outsider):
        expected = list(memberships_for_user(user=person))
        with django_assert_num_queries(1):
            found, _ = memberships_and_manager(user=person)
            # The project rides on the row: reading it costs nothing more.
            assert [_fields(m.project) for m in found] == [_fields(m.project) for m in expected]
        assert [_fields(m) for m in found] == [_fields(m) for m in expected]
        assert all(m._state.db == "default" and not m._state.adding for m in found)
    assert [m.get_role_display() for m in memberships_and_manager(user=scientist)[0]] == \
        ["Project lead"]
    assert [m.project.slug for m in memberships_and_manager(user=outsider)[0]] == \
        ["credit-risk"]


def test_the_manager_s_names_are_the_person_s_own_manager_s(
        scientist: User, manager: User, outsider: User, project: Project) -> None:
    boss = User.objects.create(username="bob.boss", first_name="Bob", last_name="Boss")
    User.objects.filter(pk=outsider.pk).update(manager=boss)
    Membership.objects.create(user=outsider, project=project)
    outsider.refresh_from_db()
    for person, shown in ((scientist, "Maria Example"), (outsider, "Bob Boss")):
        _, found = memberships_and_manager(user=person)
        assert found is not None and found.display_name == shown
        assert found.pk == person.manager_id


def test_its_sql_is_compiled_once(scientist: User, project: Project,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[tuple[int, int | None]] = []
    build = selectors._memberships_rows

    def counting(user: int, manager: int | None) -> Any:
        built.append((user, manager))
        return build(user, manager)

    monkeypatch.setattr(selectors, "_MEMBERSHIPS_AND_MANAGER", selectors.Statement(
        counting, user=selectors.Slot(User._meta.pk, selectors.MARKER_ID),
        manager=selectors.Slot(User._meta.pk, selectors._MANAGER_MARKER)))
    for _ in range(3):
        assert [m.project.slug for m in memberships_and_manager(user=scientist)[0]] == ["fraud"]
    assert built == [(selectors.MARKER_ID, selectors._MANAGER_MARKER)]
