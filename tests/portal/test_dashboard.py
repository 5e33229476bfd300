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


def test_the_dashboard_runs_five_statements(client: Client, scientist: User,
                                            project: Project) -> None:
    """Issue 16: 1 session, 2 the signed-in person, 3 their projects with their manager's
    names (subqueries on the membership rows), 4 the menu badge's counts, 5 the quota panel's
    grants and the projects' caps (one UNION ALL)."""
    client.force_login(scientist)
    client.get("/")  # the menu's roles are kept in the session from the first page on
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/").content.decode()
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 5, "\n".join(sql)
    assert '"portal_membership"' in sql[2] and '"manager_username"' in sql[2]
    assert '"waiting_unread"' in sql[3] and "UNION ALL" in sql[4]
    assert "Fraud detection" in body and "<dd>Maria Example</dd>" in body


def test_the_manager_is_shown_with_or_without_projects(client: Client, scientist: User,
                                                       manager: User, project: Project) -> None:
    client.force_login(scientist)
    assert "<dd>Maria Example</dd>" in client.get("/").content.decode()
    Membership.objects.filter(user=scientist).delete()
    assert "<dd>Maria Example</dd>" in client.get("/").content.decode()
    User.objects.filter(pk=manager.pk).update(first_name="", last_name="")
    assert "<dd>maria.manager</dd>" in client.get("/").content.decode()
    Membership.objects.create(user=scientist, project=project)
    assert "<dd>maria.manager</dd>" in client.get("/").content.decode()
    User.objects.filter(pk=scientist.pk).update(manager=None, manager_ref="")
    body = client.get("/").content.decode()
    assert "<dt>Manager</dt><dd>—</dd>" in body and "maria.manager</dd>" not in body


def test_an_approver_s_dashboard_runs_five_statements_too(client: Client, manager: User,
                                                          project: Project) -> None:
    """The approver's badge is one statement as well: their open tasks, their unread notices
    and whether they stand in for anyone today (an EXISTS) are read together."""
    client.force_login(manager)
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/").content.decode()
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 5, "\n".join(sql)
    assert '"waiting_tasks"' in sql[3] and '"waiting_stands_in"' in sql[3]
    assert 'data-nav="approvals:inbox"' in body
