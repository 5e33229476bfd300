"""The dashboard: my projects and what the IdP says about me."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.models import Membership, Project, User


def add_projects(user: User, count: int) -> None:
    first = Project.objects.count()
    for n in range(first, first + count):
        p = Project.objects.create(
            slug=f"bulk-{n}", name=f"Bulk project {n:02}", cost_center="CC-9", environment="dev",
            aws_account_id=f"{n:012}", aws_region="eu-west-1", monthly_budget=Decimal("1"),
        )
        Membership.objects.create(user=user, project=p)


def dashboard_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_it_lists_the_member_s_projects_with_role(client: Client, scientist: User,
                                                   project: Project) -> None:
    client.force_login(scientist)

    response = client.get("/")

    assert response.status_code == 200
    assert [m.project for m in response.context["memberships"]] == [project]
    assert b"Fraud detection" in response.content
    assert b"111111111111" in response.content


def test_it_never_lists_someone_else_s_project(client: Client, scientist: User,
                                               project: Project, other_project: Project) -> None:
    client.force_login(scientist)

    response = client.get("/")

    assert b"Credit risk" not in response.content
    assert b"222222222222" not in response.content


def test_the_outsider_sees_only_their_project(client: Client, outsider: User,
                                              project: Project, other_project: Project) -> None:
    client.force_login(outsider)

    response = client.get("/")

    assert b"Credit risk" in response.content
    assert b"Fraud detection" not in response.content


def test_it_shows_the_manager_and_owner_id(client: Client, scientist: User) -> None:
    client.force_login(scientist)

    response = client.get("/")

    assert b"Maria Example" in response.content
    assert b"AROAEXAMPLEDATASCIENTIST:dana.scientist" in response.content


def test_an_unresolved_manager_shows_the_idp_reference(client: Client, outsider: User) -> None:
    User.objects.filter(pk=outsider.pk).update(manager_ref="bob.boss@bank.example")
    client.force_login(outsider)

    assert b"bob.boss@bank.example (not signed in yet)" in client.get("/").content


def test_someone_without_projects_is_told_how_to_join(client: Client, auditor: User) -> None:
    client.force_login(auditor)

    assert b"You are not a member of any project yet" in client.get("/").content


def test_navigation_follows_the_role(client: Client, scientist: User, auditor: User) -> None:
    client.force_login(scientist)
    assert b'data-nav="audit_event_list"' not in client.get("/").content

    client.force_login(auditor)
    assert b'data-nav="audit_event_list"' in client.get("/").content


def test_anonymous_is_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_the_query_count_does_not_grow_with_the_number_of_projects(
    client: Client, scientist: User, outsider: User
) -> None:
    add_projects(scientist, 1)
    client.force_login(scientist)
    with_one = dashboard_queries(client)

    Membership.objects.filter(user=scientist).delete()
    add_projects(scientist, 20)
    with_twenty = dashboard_queries(client)

    assert with_twenty == with_one
    assert client.get("/").content.count(b"Bulk project") == 20
