"""The whole approval chain of a request, as its pages and the API show it (read only).

Every step of the workflow, from the start: the steps already decided (who decided, when), the
step that waits (who may decide it, since when) and the steps still to come (who will decide,
as the policy resolves them today). Group steps are shown as people: the group's active members,
"any one of N" when one approval of N people is enough.

The people of an open or decided step are the ones its task fixed when it opened; those of a
future step are resolved the way ``approvals.policies.approvers_resolve`` will resolve them when
the step opens (the requester, and under four eyes across steps whoever decided an earlier step,
left out; the fallback group joins when too few people remain). The queries do not grow with the
number of steps: the tasks come with their people prefetched (``selectors.tasks_prefetch``), and
the future steps' people are read in one batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db.models import Prefetch, prefetch_related_objects

from approvals.models import ApprovalStep, ApprovalTask, Decision, Request
from approvals.policies import StepPlan, step_plans
from portal.models import Membership, User

WAITING = "waiting"
FUTURE = "future"
NOT_REACHED = "not_reached"
STATE_LABELS = {
    ApprovalTask.Status.APPROVED: "Approved",
    ApprovalTask.Status.REJECTED: "Rejected",
    ApprovalTask.Status.EXPIRED: "Expired",
    ApprovalTask.Status.SKIPPED: "Skipped",
    WAITING: "Waiting",
    FUTURE: "To come",
    NOT_REACHED: "Not reached",
}


@dataclass(frozen=True)
class ChainPerson:
    username: str
    name: str


@dataclass(frozen=True)
class ChainDecision:
    approver: ChainPerson
    verdict: str
    verdict_label: str
    comment: str
    at: datetime
    # The approver the decider stood in for as their delegate; None: in their own right.
    on_behalf_of: ChainPerson | None = None


@dataclass(frozen=True)
class ChainStep:
    """One step of the chain. ``people`` decide (or decided, or will decide) it."""

    position: int
    name: str
    state: str
    required_approvals: int
    people: list[ChainPerson]
    groups: list[str] = field(default_factory=list)
    decisions: list[ChainDecision] = field(default_factory=list)
    since: datetime | None = None
    decided_at: datetime | None = None
    escalated: bool = False

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)

    @property
    def is_waiting(self) -> bool:
        return self.state == WAITING

    @property
    def who(self) -> str:
        """Who decides, as a sentence part: "Maria Manager", "any one of 3: A, B, C",
        "2 of 3: A, B, C", or "nobody yet" (an empty group, say)."""
        names = ", ".join(p.name for p in self.people)
        if not self.people:
            return "nobody yet"
        if len(self.people) == 1:
            return names
        if self.required_approvals <= 1:
            return f"any one of {len(self.people)}: {names}"
        return f"{self.required_approvals} of {len(self.people)}: {names}"


def _person(user: User) -> ChainPerson:
    return ChainPerson(username=user.username, name=user.display_name)


def _members(users: Iterable[User], groups: Iterable[Group], *, requester_pk: int,
             excluded: set[int]) -> list[User]:
    """``Approvers.members`` on prefetched rows: named people and the groups' active members."""
    people = {u.pk: u for u in users if u.is_active}
    for group in groups:
        for user in getattr(group, "active_members", ()):
            people.setdefault(user.pk, user)
    return sorted((u for pk, u in people.items() if pk != requester_pk and pk not in excluded),
                  key=lambda u: u.username)


def _earlier(tasks: Sequence[ApprovalTask], task: ApprovalTask | None) -> set[int]:
    """Who decided another step (``workflow.earlier_deciders`` on prefetched rows)."""
    if task is not None and not task.distinct_step_approvers:
        return set()
    return {pk for t in tasks if t is not task for d in t.decisions.all()
            for pk in (d.approver_id, d.on_behalf_of_id) if pk is not None}


def _task_step(task: ApprovalTask, *, tasks: Sequence[ApprovalTask], request: Request
               ) -> ChainStep:
    decisions = list(task.decisions.all())
    groups = list(task.eligible_groups.all())
    decided = {d.approver_id for d in decisions}
    people = _members(task.eligible_approvers.all(), groups, requester_pk=request.requester_id,
                      excluded=_earlier(tasks, task))
    if task.is_pending:
        # Who may still decide: those who already did are shown with their decision instead.
        people = [u for u in people if u.pk not in decided]
    state = WAITING if task.is_pending and request.is_pending else task.status
    return ChainStep(
        position=task.position, name=task.name, state=state,
        required_approvals=task.required_approvals,
        people=[_person(u) for u in people], groups=sorted(g.name for g in groups),
        decisions=decision_list(decisions),
        since=task.created_at if state == WAITING else None,
        decided_at=task.decided_at, escalated=task.escalated,
    )


def waiting_step(*, request: Request) -> ChainStep | None:
    """The step that waits for a decision, with who may decide it (None when none waits).

    ``request.tasks`` should come prefetched (``selectors.tasks_prefetch``), as lists do."""
    if not request.is_pending:
        return None
    tasks = list(request.tasks.all())
    task = next((t for t in tasks if t.is_pending), None)
    return None if task is None else _task_step(task, tasks=tasks, request=request)


def _active_members() -> Prefetch[Any, Any, Any]:
    return Prefetch("user_set", queryset=User.objects.filter(is_active=True).order_by("username"),
                    to_attr="active_members")


@dataclass(frozen=True)
class _FutureApprovers:
    """Everyone a future step may go to, read once for all of them (prefetched)."""

    step_groups: dict[int | None, Group]
    leads: list[User]
    manager: User | None
    named_groups: dict[str, Group]


def _future_approvers(request: Request, plans: Sequence[StepPlan]) -> _FutureApprovers:
    """The steps' people and groups with their active members, the project's leads and the
    requester's manager (only when a step asks for them), and the default and fallback groups,
    in a fixed number of queries."""
    steps = [p.step for p in plans if p.step is not None]
    prefetch_related_objects(steps, Prefetch("users", queryset=User.objects.filter(
        is_active=True)), "group")
    step_groups = {s.group_id: s.group for s in steps if s.group is not None}
    prefetch_related_objects(list(step_groups.values()), _active_members())
    kinds = {s.approvers for s in steps}
    leads = list(User.objects.filter(
        memberships__project=request.project_id, memberships__role=Membership.ProjectRole.LEAD,
        is_active=True).order_by("username")) if ApprovalStep.Approvers.PROJECT_LEADS in kinds \
        else []
    manager = request.requester.manager if ApprovalStep.Approvers.MANAGER in kinds else None
    wanted = {p.group_name for p in plans if p.step is None} | {
        settings.PORTAL_APPROVAL_FALLBACK_GROUP}
    named_groups = {g.name: g for g in Group.objects.filter(name__in=wanted)
                    .prefetch_related(_active_members())}
    return _FutureApprovers(step_groups=step_groups, leads=leads, manager=manager,
                            named_groups=named_groups)


def _plan_candidates(plan: StepPlan, read: _FutureApprovers) -> tuple[list[User], list[Group]]:
    """The people and groups a future step's approvers setting names (``Approvers.members``)."""
    step = plan.step
    if step is None:
        named = read.named_groups.get(plan.group_name)
        return [], [named] if named is not None else []
    if step.approvers == ApprovalStep.Approvers.MANAGER:
        manager = read.manager
        return [manager] if manager is not None and manager.is_active else [], []
    if step.approvers == ApprovalStep.Approvers.PROJECT_LEADS:
        return read.leads, []
    if step.approvers == ApprovalStep.Approvers.GROUP:
        group = read.step_groups.get(step.group_id)
        return [], [group] if group is not None else []
    return list(step.users.all()), []


def _future_people(request: Request, plans: Sequence[StepPlan], *, excluded: set[int]
                   ) -> dict[int, tuple[list[User], list[str]]]:
    """Who will decide each future step, by position, read in a fixed number of queries."""
    read = _future_approvers(request, plans)
    fallback = read.named_groups.get(settings.PORTAL_APPROVAL_FALLBACK_GROUP)
    people: dict[int, tuple[list[User], list[str]]] = {}
    for plan in plans:
        users, groups = _plan_candidates(plan, read)
        found = _members(users, groups, requester_pk=request.requester_id, excluded=excluded)
        if len(found) < plan.required_approvals and fallback is not None:
            groups = [*groups, fallback]  # as ``workflow._task_open`` escalates
            found = _members(users, groups, requester_pk=request.requester_id,
                             excluded=excluded)
        people[plan.position] = (found, sorted({g.name for g in groups}))
    return people


def request_chain(*, request: Request, tasks: Sequence[ApprovalTask]) -> list[ChainStep]:
    """Every step of the request's workflow in order (``tasks`` from ``request_tasks``).

    A request approved by its policy without a step has an empty chain."""
    chain = [_task_step(t, tasks=tasks, request=request) for t in tasks]
    opened = {t.position for t in tasks}
    if request.status == Request.Status.APPROVED:
        return chain  # approved: every step it needed has a task
    plans = [p for p in step_plans(request=request) if p.position not in opened]
    if not plans:
        return chain
    if not request.is_pending:  # rejected, cancelled or expired before these steps
        return chain + [ChainStep(position=p.position, name=p.name, state=NOT_REACHED,
                                  required_approvals=p.required_approvals, people=[])
                        for p in plans]
    distinct = True if request.matched_rule is None else \
        request.matched_rule.policy.distinct_step_approvers
    excluded = _earlier(tasks, None) if distinct else set()
    people = _future_people(request, plans, excluded=excluded)
    for plan in plans:
        found, groups = people[plan.position]
        chain.append(ChainStep(position=plan.position, name=plan.name, state=FUTURE,
                               required_approvals=plan.required_approvals,
                               people=[_person(u) for u in found], groups=groups))
    return chain


def decision_list(decisions: Iterable[Decision]) -> list[ChainDecision]:
    """Decisions as the chain shows them."""
    return [ChainDecision(approver=_person(d.approver), verdict=d.verdict,
                          verdict_label=d.get_verdict_display(), comment=d.comment, at=d.at,
                          on_behalf_of=None if d.on_behalf_of is None
                          else _person(d.on_behalf_of))
            for d in decisions]
