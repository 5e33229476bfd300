"""The menu: the approvals inbox only for people who can approve; role badges in the README's
words."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from portal.models import Membership, Project, Role, User
from tests.conftest import make_user

INBOX = 'data-nav="approvals:inbox"'


def menu(user: User) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_data_scientist_without_reports_or_tasks_has_no_inbox_in_the_menu(
        scientist: User, project: Project) -> None:
    assert INBOX not in menu(scientist)
    assert 'data-nav="approvals:request_list"' in menu(scientist)


@pytest.mark.parametrize("roles", [[Role.APPROVER], [Role.CATALOG_ADMIN]])
def test_approvers_and_platform_admins_have_the_inbox(roles: list[str], db: None) -> None:
    assert INBOX in menu(make_user("ann.role", roles=roles))


def test_an_auditor_alone_has_no_inbox(auditor: User) -> None:
    assert INBOX not in menu(auditor)


def test_a_line_manager_without_the_role_has_the_inbox(db: None) -> None:
    boss = make_user("bob.boss")
    assert INBOX not in menu(boss)

    make_user("rita.report", manager=boss)

    assert INBOX in menu(boss)


def test_a_project_lead_without_the_role_has_the_inbox(db: None, project: Project) -> None:
    lead = make_user("lee.lead")
    Membership.objects.create(user=lead, project=project, role=Membership.ProjectRole.LEAD)

    assert INBOX in menu(lead)


def test_someone_named_on_a_task_through_a_group_has_the_inbox(
        gpu_task_group: tuple[User, Group]) -> None:
    person, _ = gpu_task_group

    assert INBOX in menu(person)


@pytest.fixture
def gpu_task_group(db: None, scientist: User, project: Project) -> tuple[User, Group]:
    from approvals.models import ApprovalTask, Request
    from catalog.models import Product, ProductVersion

    product = Product.objects.create(aws_account_id=project.aws_account_id,
                                     aws_region=project.aws_region, product_id="prod-x",
                                     name="Notebook", kind=Product.Kind.NOTEBOOK_INSTANCE)
    version = ProductVersion.objects.create(product=product, artifact_id="pa-x", name="v1")
    request = Request.objects.create(requester=scientist, project=project, product=product,
                                     version=version, justification="x")
    task = ApprovalTask.objects.create(request=request, name="Data owners", position=0)
    group = Group.objects.create(name="data-owners")
    person = make_user("gia.group")
    person.groups.add(group)
    task.eligible_groups.add(group)
    return person, group


def test_badges_say_the_roles_as_the_readme_does(platform_admin: User, auditor: User) -> None:
    assert '<span class="badge" data-role="catalog_admin">Platform admin</span>' in menu(
        platform_admin)
    assert '<span class="badge" data-role="auditor">Auditor</span>' in menu(auditor)


def test_a_favicon_is_served_and_named_by_every_page(client: Client, scientist: User,
                                                     settings: object) -> None:
    settings.WHITENOISE_USE_FINDERS = True  # type: ignore[attr-defined]  # as in the demo
    redirect = client.get("/favicon.ico")
    assert redirect.status_code == 301
    icon = client.get(redirect["Location"])
    assert icon.status_code == 200 and b"<svg" in b"".join(icon.streaming_content)

    assert f'<link rel="icon" href="{redirect["Location"]}"' in menu(scientist)
