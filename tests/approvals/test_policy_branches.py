"""Every branch of the workflow engine, driven by one table: policy, script, expected outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone

from approvals.errors import AlreadyDecided, NotEligible
from approvals.models import ApprovalPolicy, ApprovalRule, ApprovalStep, ApprovalTask, Request
from approvals.services import request_approve
from approvals.sweep import approval_tasks_sweep
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from tests.approvals.conftest import request_notebook
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@dataclass
class Case:
    name: str
    steps: list[dict[str, Any]]  # ApprovalStep fields; "auto" for an auto-approving rule
    script: list[tuple[str, Any]]  # ("approve", username) | ("sweep", timedelta)
    status: str
    tasks: list[tuple[str, bool, list[str]]]  # (status, escalated, usernames and group:names)
    audit: list[str] = field(default_factory=list)
    mailed: list[tuple[str, str]] = field(default_factory=list)  # (username, subject part)
    no_manager: bool = False
    no_lead: bool = False
    distinct: bool = True  # the policy's distinct_step_approvers


HOUR = timedelta(hours=1)
REVIEWERS = ["rita.reviewer", "rob.reviewer", "ron.reviewer"]

CASES = [
    Case("auto-approve", steps=["auto"], script=[], status="approved", tasks=[],
         audit=["request.created", "request.approved", "request.handed_off"],
         mailed=[("dana.scientist", "approved")]),
    Case("one step", steps=[{"approvers": "manager"}],
         script=[("approve", "maria.manager")], status="approved",
         tasks=[("approved", False, ["maria.manager"])],
         audit=["approval.task_created", "approval.decided", "approval.task_approved",
                "request.approved", "request.handed_off"],
         mailed=[("maria.manager", "approval needed"), ("dana.scientist", "approved"),
                 ("maria.manager", "request approved")]),
    Case("two steps", steps=[{"approvers": "manager"}, {"approvers": "group",
                                                        "group": "ml-platform-admins"}],
         script=[("approve", "maria.manager"), ("approve", "pat.admin")], status="approved",
         tasks=[("approved", False, ["maria.manager"]),
                ("approved", False, ["group:ml-platform-admins"])],
         mailed=[("pat.admin", "approval needed"), ("dana.scientist", "step approved")]),
    Case("four eyes: the manager who approved step one is the only lead: the fallback joins",
         steps=[{"approvers": "manager"}, {"approvers": "project_leads"}],
         script=[("approve", "maria.manager"), ("refused", "maria.manager")], status="pending",
         tasks=[("approved", False, ["maria.manager"]),
                ("pending", True, ["group:ml-platform-admins", "maria.manager"])],
         audit=["approval.task_escalated"], mailed=[("pat.admin", "approval needed")]),
    Case("four eyes: a fallback member who approved step one cannot approve step two",
         steps=[{"approvers": "group", "group": "ml-platform-admins"},
                {"approvers": "users", "users": ["pat.admin"]}],
         script=[("approve", "pat.admin"), ("refused", "pat.admin")], status="pending",
         tasks=[("approved", False, ["group:ml-platform-admins"]),
                ("pending", True, ["group:ml-platform-admins", "pat.admin"])]),
    Case("four eyes off: the same person may decide both steps", distinct=False,
         steps=[{"approvers": "manager"}, {"approvers": "project_leads"}],
         script=[("approve", "maria.manager"), ("approve", "maria.manager")], status="approved",
         tasks=[("approved", False, ["maria.manager"]), ("approved", False, ["maria.manager"])]),
    Case("N-of-M: one of two is not enough",
         steps=[{"approvers": "group", "group": "reviewers", "required_approvals": 2}],
         script=[("approve", "rita.reviewer")], status="pending",
         tasks=[("pending", False, ["group:reviewers"])]),
    Case("N-of-M: two of three approve",
         steps=[{"approvers": "group", "group": "reviewers", "required_approvals": 2}],
         script=[("approve", "rita.reviewer"), ("approve", "ron.reviewer")], status="approved",
         tasks=[("approved", False, ["group:reviewers"])]),
    Case("named users", steps=[{"approvers": "users", "users": ["rob.reviewer"]}],
         script=[("approve", "rob.reviewer")], status="approved",
         tasks=[("approved", False, ["rob.reviewer"])]),
    Case("fallback: no manager goes to the fallback group", steps=[{"approvers": "manager"}],
         no_manager=True, script=[("approve", "pat.admin")], status="approved",
         tasks=[("approved", True, ["group:ml-platform-admins"])],
         audit=["approval.task_escalated"], mailed=[("pat.admin", "approval needed")]),
    Case("fallback: a project without a lead goes to the fallback group",
         steps=[{"approvers": "project_leads"}], no_lead=True, script=[("approve", "pat.admin")],
         status="approved", tasks=[("approved", True, ["group:ml-platform-admins"])],
         mailed=[("pat.admin", "approval needed"), ("pat.admin", "request approved")]),
    Case("fallback: a group with only the requester in it",
         steps=[{"approvers": "users", "users": ["dana.scientist"]}], script=[],
         status="pending", tasks=[("pending", True, ["group:ml-platform-admins"])]),
    Case("escalation after escalate_after",
         steps=[{"approvers": "manager", "escalate_after": 2 * HOUR,
                 "escalation_group": "reviewers"}],
         script=[("sweep", HOUR), ("sweep", 3 * HOUR), ("approve", "rob.reviewer")],
         status="approved", tasks=[("approved", True, ["group:reviewers", "maria.manager"])],
         audit=["approval.task_escalated"], mailed=[("rita.reviewer", "escalated")]),
    Case("escalation without a group goes to the fallback group",
         steps=[{"approvers": "manager", "escalate_after": HOUR}],
         script=[("sweep", 2 * HOUR)], status="pending",
         tasks=[("pending", True, ["group:ml-platform-admins", "maria.manager"])]),
    Case("reminder after remind_after, once",
         steps=[{"approvers": "manager", "remind_after": HOUR}],
         script=[("sweep", HOUR / 2), ("sweep", 2 * HOUR), ("sweep", 3 * HOUR)],
         status="pending", tasks=[("pending", False, ["maria.manager"])],
         audit=["approval.task_reminded"], mailed=[("maria.manager", "reminder")]),
    Case("expiry after PORTAL_APPROVAL_EXPIRY_DAYS",
         steps=[{"approvers": "manager"}],
         script=[("sweep", timedelta(days=13)), ("sweep", timedelta(days=15))],
         status="expired", tasks=[("expired", False, ["maria.manager"])],
         audit=["approval.task_expired", "request.expired"],
         mailed=[("dana.scientist", "expired"), ("maria.manager", "expired")]),
    Case("a decision after expiry does not count", steps=[{"approvers": "manager"}],
         script=[("sweep", timedelta(days=15)), ("refused", "maria.manager")],
         status="expired", tasks=[("expired", False, ["maria.manager"])]),
]


def _approvers(task: ApprovalTask) -> list[str]:
    return sorted([u.username for u in task.eligible_approvers.all()]
                  + [f"group:{g.name}" for g in task.eligible_groups.all()])


def _policy(steps: list[Any], distinct: bool = True) -> None:
    policy = ApprovalPolicy.objects.create(name="Table", distinct_step_approvers=distinct)
    rule = ApprovalRule.objects.create(policy=policy, name="Notebooks",
                                       product_kind=Product.Kind.NOTEBOOK_INSTANCE,
                                       auto_approve=steps == ["auto"])
    if steps == ["auto"]:
        return
    for position, spec in enumerate(steps):
        spec = dict(spec)
        users = spec.pop("users", [])
        for key in ("group", "escalation_group"):
            if key in spec:
                spec[key] = Group.objects.get_or_create(name=spec[key])[0]
        step = ApprovalStep.objects.create(rule=rule, position=position, name=f"Step {position}",
                                           **spec)
        step.users.set(User.objects.filter(username__in=users))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_policy_branch(
    case: Case, scientist: User, manager: User, platform_admin: User, project: Project,
    notebook: Product, django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    reviewers = Group.objects.create(name="reviewers")
    for username in REVIEWERS:
        make_user(username).groups.add(reviewers)
    if case.no_manager:
        scientist.manager = None
        scientist.save()
    if case.no_lead:
        project.memberships.filter(role="lead").update(role="member")
    _policy(case.steps, case.distinct)

    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        request = request_notebook(scientist, project, notebook)
    for kind, arg in case.script:
        with django_capture_on_commit_callbacks(execute=True):
            if kind == "sweep":
                approval_tasks_sweep(now=start + arg)
            else:
                task = request.tasks.filter(status="pending").order_by("position").first() or \
                    request.tasks.order_by("-position").first()
                assert task is not None
                approver = User.objects.get(username=arg)
                if kind == "approve":
                    request_approve(task=task, approver=approver)
                elif case.status == Request.Status.EXPIRED:
                    with pytest.raises(AlreadyDecided, match="Already decided"):
                        request_approve(task=task, approver=approver)
                else:
                    with pytest.raises(NotEligible, match="earlier step"):
                        request_approve(task=task, approver=approver)

    request.refresh_from_db()
    assert request.status == case.status
    tasks = [(t.status, t.escalated, _approvers(t))
             for t in ApprovalTask.objects.filter(request=request).order_by("position")]
    assert tasks == [(s, e, sorted(u)) for s, e, u in case.tasks]
    assert (request.handed_off_at is not None) == (case.status == Request.Status.APPROVED)
    actions = list(AuditEvent.objects.filter(object_id=str(request.pk))
                   .values_list("action", flat=True))
    for action in case.audit:
        assert action in actions
    if "reminder" in case.name:
        assert actions.count("approval.task_reminded") == 1
    for username, subject in case.mailed:
        email = User.objects.get(username=username).email
        assert any(m.to == [email] and subject in m.subject.lower() for m in mail.outbox), (
            username, subject, [(m.to, m.subject) for m in mail.outbox])


def test_without_a_matching_rule_the_default_group_decides(
    scientist: User, platform_admin: User, project: Project, notebook: Product
) -> None:
    request = request_notebook(scientist, project, notebook)
    task = request.tasks.get()
    assert task.name == "Platform review"
    assert [g.name for g in task.eligible_groups.all()] == ["ml-platform-admins"]
    assert not task.escalated  # pat.admin is in the group


def test_without_a_matching_rule_auto_default_approves_at_once(
    scientist: User, project: Project, notebook: Product, settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.PORTAL_APPROVAL_DEFAULT = "auto"
    with django_capture_on_commit_callbacks(execute=True):
        request = request_notebook(scientist, project, notebook)
    request.refresh_from_db()
    assert request.status == "approved" and request.handed_off_at is not None
    assert not request.tasks.exists()
