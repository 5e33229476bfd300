"""Which workflow a request goes through, and who may decide each of its steps.

The first matching rule of the active policies (in policy, then rule order) wins. Without a match
``PORTAL_APPROVAL_DEFAULT`` applies: ``auto`` approves, ``group:<name>`` asks that group. A step
whose approvers are missing (no manager, no lead, only the requester) is given to
``PORTAL_APPROVAL_FALLBACK_GROUP`` instead of stalling.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group

from approvals.models import ApprovalRule, ApprovalStep, Request
from portal.models import Membership, User

DEFAULT_STEP_NAME = "Platform review"
EXTRA_REVIEW_STEP_NAME = "Budget review"


@dataclass(frozen=True)
class StepPlan:
    """One step to run: a configured step, or the default/fallback group review."""

    position: int
    name: str
    required_approvals: int
    step: ApprovalStep | None = None
    group_name: str = ""


def rule_matches(*, rule: ApprovalRule, request: Request) -> bool:
    """Every condition set on the rule holds for the request (unset conditions match)."""
    return (_product_holds(rule, request) and _parameter_holds(rule, request)
            and _cost_holds(rule, request) and _project_and_lease_hold(rule, request))


def _product_holds(rule: ApprovalRule, request: Request) -> bool:
    """The rule's product, product kind and actions, where set, are the request's."""
    if rule.product_id is not None and rule.product_id != request.product_id:
        return False
    if rule.product_kind and rule.product_kind != request.product.kind:
        return False
    return not rule.actions or request.action in rule.actions


def _parameter_holds(rule: ApprovalRule, request: Request) -> bool:
    """The request gives the rule's parameter one of the rule's values (compared as text)."""
    if not rule.parameter_key:
        return True
    value = (request.parameters or {}).get(rule.parameter_key)
    return value is not None and str(value) in {str(v) for v in rule.parameter_values or []}


def _cost_holds(rule: ApprovalRule, request: Request) -> bool:
    """The estimate lies in the rule's range; a request without an estimate is in no range."""
    cost = request.estimated_monthly_cost
    if rule.cost_at_least is not None and (cost is None or cost < rule.cost_at_least):
        return False
    return rule.cost_below is None or (cost is not None and cost < rule.cost_below)


def _project_and_lease_hold(rule: ApprovalRule, request: Request) -> bool:
    """The project's environment is the rule's, and the lease at most the rule's days (a
    request without a lease exceeds any such limit)."""
    if rule.project_environment and rule.project_environment != request.project.environment:
        return False
    return rule.lease_days_at_most is None or (
        request.lease_days is not None and request.lease_days <= rule.lease_days_at_most)


def rule_for_request(*, request: Request) -> ApprovalRule | None:
    rules = (
        ApprovalRule.objects.filter(policy__active=True)
        .select_related("policy")
        .order_by("policy__position", "policy_id", "position", "pk")
    )
    for rule in rules:
        if rule_matches(rule=rule, request=request):
            return rule
    return None


def default_is_auto() -> bool:
    return settings.PORTAL_APPROVAL_DEFAULT == "auto"


def _group_plan(position: int) -> StepPlan:
    default = settings.PORTAL_APPROVAL_DEFAULT
    name = default[len("group:"):].strip() if default.startswith("group:") else ""
    return StepPlan(position=position, name=DEFAULT_STEP_NAME, required_approvals=1,
                    group_name=name or settings.PORTAL_APPROVAL_FALLBACK_GROUP)


def step_plans(*, request: Request) -> list[StepPlan]:
    """The steps of the request's workflow, in order; empty means approve at once.

    A request a review check marked (``extra_review``: over budget) gets one more step, decided
    by ``PORTAL_APPROVAL_FALLBACK_GROUP`` (the platform admins), after the policy's steps, even
    where the policy would approve it at once.
    """
    plans = _policy_plans(request=request)
    if request.extra_review:
        plans.append(StepPlan(position=len(plans), name=EXTRA_REVIEW_STEP_NAME,
                              required_approvals=1,
                              group_name=settings.PORTAL_APPROVAL_FALLBACK_GROUP))
    return plans


def _policy_plans(*, request: Request) -> list[StepPlan]:
    rule = request.matched_rule
    if rule is None:
        return [] if default_is_auto() else [_group_plan(0)]
    if rule.auto_approve:
        return []
    steps = list(rule.steps.order_by("position", "pk"))
    if not steps:  # a rule nobody finished configuring never approves silently
        return [_group_plan(0)]
    return [
        StepPlan(position=index, name=step.name, required_approvals=step.required_approvals,
                 step=step)
        for index, step in enumerate(steps)
    ]


def group_named(name: str) -> Group:
    """The Django group mirroring an IdP group; created empty until someone in it signs in."""
    return Group.objects.get_or_create(name=name[:150])[0]


def group_members(*, groups: Iterable[Group], exclude_pk: int | None = None) -> list[User]:
    """Active members of the groups now (the requester left out)."""
    users = User.objects.filter(groups__in=list(groups), is_active=True).distinct()
    if exclude_pk is not None:
        users = users.exclude(pk=exclude_pk)
    return list(users.order_by("username"))


@dataclass
class Approvers:
    """Who may decide a task: named people and groups (whose current members may decide)."""

    users: list[User]
    groups: list[Group]

    def members(self, *, requester_pk: int, excluded: Collection[int] = ()) -> list[User]:
        """Everyone who may decide now, without the requester and the ``excluded`` people."""
        people = {u.pk: u for u in self.users if u.pk != requester_pk and u.is_active}
        for user in group_members(groups=self.groups, exclude_pk=requester_pk):
            people.setdefault(user.pk, user)
        return sorted((u for u in people.values() if u.pk not in excluded),
                      key=lambda u: u.username)


def approvers_resolve(*, request: Request, plan: StepPlan) -> Approvers:
    """The step's approvers; the requester is never one of them."""
    step = plan.step
    users: list[User] = []
    groups: list[Group] = []
    if step is None:
        groups = [group_named(plan.group_name)]
    elif step.approvers == ApprovalStep.Approvers.MANAGER:
        manager = request.requester.manager
        users = [manager] if manager is not None and manager.is_active else []
    elif step.approvers == ApprovalStep.Approvers.PROJECT_LEADS:
        users = list(User.objects.filter(
            memberships__project=request.project, memberships__role=Membership.ProjectRole.LEAD,
            is_active=True,
        ).order_by("username"))
    elif step.approvers == ApprovalStep.Approvers.GROUP:
        groups = [step.group] if step.group is not None else []
    else:
        users = list(step.users.filter(is_active=True).order_by("username"))
    return Approvers(users=[u for u in users if u.pk != request.requester_id], groups=groups)


def fallback_group() -> Group:
    return group_named(settings.PORTAL_APPROVAL_FALLBACK_GROUP)
