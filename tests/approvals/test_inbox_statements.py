"""The inbox's compiled statements (issue 16) answer what the ORM's querysets answer: the ids
of a person's open tasks in inbox order, and whom they stand in for today."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.models import ApprovalDelegation, ApprovalTask, Decision, Request
from approvals.selectors import delegators_on, delegators_today, inbox_page, inbox_tasks
from catalog.models import Product
from portal.models import Project, User
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _request(project: Project, requester: User, n: int) -> Request:
    from tests.approvals.conftest import _product

    product = _product(f"prod-st{n}", f"Product {n}", Product.Kind.NOTEBOOK_INSTANCE)
    version = product.versions.create(artifact_id=f"pa-st{n}", name="v1")
    return Request.objects.create(requester=requester, project=project, product=product,
                                  version=version, parameters={}, tag_choices={})


def _ordered(user: User) -> list[int]:
    return list(inbox_tasks(user=user).order_by("request__created_at", "pk")
                .values_list("pk", flat=True))


def test_the_inbox_page_lists_the_open_tasks_the_orm_finds_in_its_order(
        project: Project) -> None:
    ann, bob, cid = make_user("ann.approver"), make_user("bob.approver"), make_user("cid.other")
    rex = make_user("rex.requester")
    group = Group.objects.create(name="risk")
    ann.groups.add(group)
    bob.groups.add(group)
    tasks = []
    for n in range(4):  # oldest request first in the inbox, whatever the task ids
        request = _request(project, rex, n)
        Request.objects.filter(pk=request.pk).update(
            created_at=timezone.now() - timedelta(days=n))
        task = ApprovalTask.objects.create(request=request, name="Risk", position=0)
        task.eligible_groups.add(group)
        tasks.append(task)
    tasks[0].eligible_approvers.add(cid)
    own = ApprovalTask.objects.create(request=_request(project, ann, 9), name="Own", position=0)
    own.eligible_approvers.add(ann)  # never in the requester's own inbox
    Decision.objects.create(task=tasks[1], approver=ann, verdict=Decision.Verdict.APPROVE)
    two_steps = _request(project, rex, 10)
    first = ApprovalTask.objects.create(request=two_steps, name="One", position=0)
    second = ApprovalTask.objects.create(request=two_steps, name="Two", position=1,
                                         distinct_step_approvers=True)
    first.eligible_approvers.add(bob)
    second.eligible_approvers.add(bob, cid)
    Decision.objects.create(task=first, approver=bob, verdict=Decision.Verdict.APPROVE)
    decided = ApprovalTask.objects.create(request=_request(project, rex, 11), name="Done",
                                          position=0, status=ApprovalTask.Status.APPROVED)
    decided.eligible_approvers.add(ann)
    expected = {ann: [tasks[3].pk, tasks[2].pk, tasks[0].pk],
                bob: [tasks[3].pk, tasks[2].pk, tasks[1].pk, tasks[0].pk],  # not first, not second
                cid: [tasks[0].pk, second.pk], rex: []}
    for person, ids in expected.items():
        page = inbox_page(user=person, number=1, per_page=50)
        assert [t.pk for t in page] == ids == _ordered(person), person
        assert page.paginator.count == len(ids)
    # A second page of two: the same order, the same count.
    page = inbox_page(user=bob, number=2, per_page=2)
    assert [t.pk for t in page] == expected[bob][2:4] and page.paginator.count == 4
    group.user_set.remove(ann)  # read per request, never kept: her group's tasks leave
    assert [t.pk for t in inbox_page(user=ann, number=1, per_page=50)] == []


def test_the_inbox_page_of_someone_standing_in_for_nobody_is_three_statements(
        project: Project) -> None:
    ann = make_user("ann.approver")
    task = ApprovalTask.objects.create(request=_request(project, make_user("rex.r"), 0),
                                       name="Risk", position=0)
    task.eligible_approvers.add(ann)
    with CaptureQueriesContext(connection) as queries:
        assert [t.pk for t in inbox_page(user=ann, number=1, per_page=50)] == [task.pk]
    assert len(queries) == 3  # whom she stands in for, the ids, the page's rows


def test_whom_a_person_stands_in_for_today_is_what_the_orm_finds(project: Project) -> None:
    deputy = make_user("dave.deputy")
    today = timezone.localdate()
    day = timedelta(days=1)
    cases = {"in force": (today - day, today + day, None, True),
             "ends today": (today - day, today, None, True),
             "starts tomorrow": (today + day, today + 2 * day, None, True),
             "over": (today - 2 * day, today - day, None, True),
             "ended early": (today - day, today + day, timezone.now(), True),
             "delegator left": (today - day, today + day, None, False)}
    for name, (starts, ends, ended_at, active) in cases.items():
        delegator = make_user(f"x.{name.replace(' ', '-')}")
        if not active:
            User.objects.filter(pk=delegator.pk).update(is_active=False)
        ApprovalDelegation.objects.create(delegator=delegator, delegate=deputy, starts_on=starts,
                                          ends_on=ends, ended_at=ended_at)
    found = delegators_today(user=deputy)
    assert sorted(found) == sorted(delegators_on(user=deputy))
    assert sorted(User.objects.filter(pk__in=found).values_list("username", flat=True)) == [
        "x.ends-today", "x.in-force"]
    assert delegators_today(user=make_user("nobody.special")) == []
