"""Who finds a task in the inbox (page, badge, API) after issue 16's UNION of the link tables:
the person named, a member of the group named, the delegate of the person named; nobody else."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from approvals.models import ApprovalDelegation, ApprovalTask, Request
from approvals.selectors import inbox_page, inbox_tasks
from catalog.models import Product
from portal.models import Project, User
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _task(project: Project) -> ApprovalTask:
    from tests.approvals.conftest import _product

    requester = make_user("rex.requester")
    product = _product("prod-named", "Named product", Product.Kind.NOTEBOOK_INSTANCE)
    version = product.versions.create(artifact_id="pa-named", name="v1")
    request = Request.objects.create(requester=requester, project=project, product=product,
                                     version=version, parameters={}, tag_choices={})
    return ApprovalTask.objects.create(request=request, name="Risk", position=0)


def _badge(body: str) -> int:
    badge = re.search(r'<span class="count" data-count="(\d+)">', body)
    return int(badge.group(1)) if badge else 0


def _inbox(user: User) -> tuple[list[int], int]:
    """(the tasks on the inbox page, the number in the menu badge), the badge the same on the
    inbox (the page's own count) and on the dashboard (the menu's count)."""
    client = Client()
    client.force_login(user)
    body = client.get("/requests/inbox/").content.decode()
    assert _badge(client.get("/").content.decode()) == _badge(body)
    return [int(pk) for pk in re.findall(r'data-task="(\d+)"', body)], _badge(body)


def test_a_member_of_the_group_named_finds_the_task(project: Project) -> None:
    member, outsider = make_user("gina.groupmember"), make_user("otto.outsider")
    group = Group.objects.create(name="risk-reviewers")
    member.groups.add(group)
    task = _task(project)
    task.eligible_groups.add(group)
    assert _inbox(member) == ([task.pk], 1)
    assert _inbox(outsider) == ([], 0)
    assert list(inbox_tasks(user=member).values_list("pk", flat=True)) == [task.pk]


def test_the_person_named_and_their_delegate_find_the_task(project: Project) -> None:
    named, deputy = make_user("nina.named"), make_user("dave.deputy")
    task = _task(project)
    task.eligible_approvers.add(named)
    assert _inbox(named) == ([task.pk], 1)
    assert _inbox(deputy) == ([], 0)
    today = timezone.localdate()
    ApprovalDelegation.objects.create(delegator=named, delegate=deputy, starts_on=today,
                                      ends_on=today)
    assert _inbox(deputy) == ([task.pk], 1)
    # Named in person and through a group at once: one row, counted once.
    group = Group.objects.create(name="risk-reviewers")
    named.groups.add(group)
    task.eligible_groups.add(group)
    assert _inbox(named) == ([task.pk], 1)


def test_a_page_past_the_end_shows_the_last_one_and_a_decided_task_drops_out(
        project: Project) -> None:
    named = make_user("nina.named")
    task = _task(project)
    task.eligible_approvers.add(named)
    page = inbox_page(user=named, number="99", per_page=50)
    assert page.number == 1 and [t.pk for t in page] == [task.pk]
    assert inbox_page(user=named, number="nonsense", per_page=50).number == 1
    ApprovalTask.objects.filter(pk=task.pk).update(status=ApprovalTask.Status.APPROVED)
    assert list(inbox_page(user=named, number=1, per_page=50)) == []


def test_a_task_decided_between_the_ids_and_the_rows_drops_out(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """inbox_page reads the ids, then the rows: a decision landing in between leaves the row out
    (the page shows what is still open), it is not shown as if still waiting."""
    import approvals.selectors as selectors

    named = make_user("nora.named")
    kept = _task(project)
    decided = ApprovalTask.objects.create(request=kept.request, name="Security", position=1)
    for task in (kept, decided):
        task.eligible_approvers.add(named)
    rows = selectors._inbox_rows

    def decided_meanwhile(tasks: Any, **kwargs: Any) -> Any:
        ApprovalTask.objects.filter(pk=decided.pk).update(status=ApprovalTask.Status.APPROVED)
        return rows(tasks, **kwargs)

    monkeypatch.setattr(selectors, "_inbox_rows", decided_meanwhile)
    page = inbox_page(user=named, number=1, per_page=50)
    assert page.paginator.count == 2  # counted while both were open
    assert [t.pk for t in page] == [kept.pk]
