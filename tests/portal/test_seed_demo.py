"""``manage.py seed_demo``: the demo's projects, people and memberships, created once."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from portal.demo import DEMO_USERS_FILE
from portal.models import AuditEvent, Membership, Project, User


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_users() -> list[dict]:
    return yaml.safe_load(DEMO_USERS_FILE.read_text())["users"]


def test_it_creates_the_two_demo_projects(db: None) -> None:
    seed()
    fraud = Project.objects.get(slug="fraud-detection")
    assert (fraud.name, fraud.environment, fraud.aws_account_id, fraud.aws_region,
            fraud.cost_center, fraud.monthly_budget) == (
        "Fraud detection", "dev", "111111111111", "eu-west-1", "CC-1001", Decimal("3000"))
    credit = Project.objects.get(slug="credit-risk")
    assert (credit.name, credit.environment, credit.aws_account_id, credit.aws_region,
            credit.cost_center, credit.monthly_budget) == (
        "Credit risk modelling", "uat", "222222222222", "eu-west-1", "CC-2002", Decimal("5000"))
    # The demo journey's leaver: their environments go to their manager.
    assert {fraud.leaver_environments, credit.leaver_environments} == {"manager"}


def test_it_creates_every_idp_user_with_their_attributes(db: None, demo_users: list[dict]) -> None:
    seed()
    assert set(User.objects.values_list("username", flat=True)) == {u["uid"] for u in demo_users}
    dana = User.objects.get(username="dana.scientist")
    assert (dana.email, dana.first_name, dana.last_name, dana.department, dana.cost_center) == (
        "dana.scientist@bank.example", "Dana", "Scientist", "Fraud Analytics", "CC-1001")
    assert dana.manager == User.objects.get(username="maria.manager")
    assert not dana.has_usable_password()
    assert dana.roles == []  # roles come from SAML groups at sign-in, never from the seed


def test_it_creates_the_memberships_of_the_users_file(db: None, demo_users: list[dict]) -> None:
    seed()
    expected = {
        (u["uid"], slug, role) for u in demo_users for slug, role in u.get("projects", {}).items()
    }
    assert expected  # the file gives people projects, or this test proves nothing
    assert set(
        Membership.objects.values_list("user__username", "project__slug", "role")
    ) == expected


def test_it_audits_what_it_creates(db: None, demo_users: list[dict]) -> None:
    seed()
    memberships = sum(len(u.get("projects", {})) for u in demo_users)
    events = AuditEvent.objects.all()
    assert events.filter(action="project.created").count() == 2
    assert events.filter(action="user.created").count() == len(demo_users)
    assert events.filter(action="membership.created").count() == memberships
    assert all(e.actor is None and e.data["source"] == "seed_demo" for e in events)
    fraud = Project.objects.get(slug="fraud-detection")
    assert events.get(action="project.created", object_id=str(fraud.pk)).project == fraud


def test_a_second_run_creates_nothing(db: None) -> None:
    first = seed()
    counts = (Project.objects.count(), User.objects.count(), Membership.objects.count(),
              AuditEvent.objects.count())

    second = seed()

    assert "created project fraud-detection" in first
    assert "created membership dana.scientist in fraud-detection (member)" in first
    assert "nothing created" in second and "created project" not in second
    assert (Project.objects.count(), User.objects.count(), Membership.objects.count(),
            AuditEvent.objects.count()) == counts


def test_it_leaves_existing_people_and_projects_as_they_are(db: None) -> None:
    User.objects.create(username="dana.scientist", email="dana@elsewhere.example")
    Project.objects.create(
        slug="credit-risk", name="Renamed by an admin", cost_center="CC-7", environment="prod",
        aws_account_id="333333333333", aws_region="eu-central-1",
    )

    out = seed()

    assert User.objects.get(username="dana.scientist").email == "dana@elsewhere.example"
    assert Project.objects.get(slug="credit-risk").name == "Renamed by an admin"
    assert "created user dana.scientist" not in out
    assert "created project credit-risk" not in out
    # The missing membership is still added to the existing project.
    assert Membership.objects.filter(user__username="sam.scientist",
                                     project__slug="credit-risk").exists()


def test_it_refuses_a_membership_in_an_unknown_project(db: None, tmp_path: Path) -> None:
    users_file = tmp_path / "users.yaml"
    users_file.write_text(yaml.safe_dump(
        {"users": [{"uid": "x.person", "projects": {"no-such-project": "member"}}]}
    ))

    with pytest.raises(CommandError, match="unknown project 'no-such-project'"):
        seed("--users", str(users_file))

    # All or nothing: the projects created before the error are rolled back too.
    assert not Project.objects.exists()
    assert not User.objects.exists()


def test_it_puts_the_new_people_in_their_idp_groups_without_granting_roles(
        db: None, demo_users: list[dict]) -> None:
    seed()
    for entry in demo_users:
        user = User.objects.get(username=entry["uid"])
        assert set(user.groups.values_list("name", flat=True)) == set(entry.get("groups") or [])
        assert user.roles == [] and not user.is_staff
