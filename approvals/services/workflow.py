"""The approval workflow between create and decide: who may decide, opening and closing steps.

Shared by request creation (the first step, or an auto-approval), decisions (the next step) and
the sweep (expiry). Callers hold the request's row lock where two people can race.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from approvals.change_preview import request_closed
from approvals.models import ApprovalTask, Decision, Request
from approvals.notifications import describe, notify
from approvals.policies import Approvers, StepPlan, approvers_resolve, fallback_group, step_plans
from approvals.services.handoff import request_hand_off
from approvals.states import status_transition
from portal.models import User
from portal.services import audit_record


def earlier_deciders(*, task: ApprovalTask) -> set[int]:
    """Who decided another step of the task's request, when the task must be decided by others.

    Four eyes across steps: whoever approved the manager step may not also approve the platform
    step (the policy's ``distinct_step_approvers``, copied onto the task when it opened). A
    decision made on someone's behalf (a delegate's) counts for both the delegate and the
    approver they stood in for.
    """
    if not task.distinct_step_approvers:
        return set()
    # Decisions of a round the request was sent back from (its plan went stale) do not count.
    others = Decision.objects.filter(task__request_id=task.request_id, task__superseded=False)
    if task.pk is not None:  # a task being opened has no decision yet
        others = others.exclude(task_id=task.pk)
    return {pk for pair in others.values_list("approver", "on_behalf_of") for pk in pair
            if pk is not None}


def task_approvers(*, task: ApprovalTask) -> list[User]:
    """Everyone who may decide the task now: named people and current group members."""
    approvers = Approvers(users=list(task.eligible_approvers.all()),
                          groups=list(task.eligible_groups.all()))
    return approvers.members(requester_pk=task.request.requester_id,
                             excluded=earlier_deciders(task=task))


def task_is_eligible(*, task: ApprovalTask, user: User,
                     excluded: set[int] | None = None) -> bool:
    """Whether the user may decide the task (named, or in one of its groups, not excluded);
    ``excluded``: ``earlier_deciders`` when the caller has already read them."""
    if not user.is_active or user.pk == task.request.requester_id:
        return False
    if user.pk in (earlier_deciders(task=task) if excluded is None else excluded):
        return False
    return (task.eligible_approvers.filter(pk=user.pk).exists()
            or user.groups.filter(pk__in=task.eligible_groups.values("pk")).exists())


def _distinct_step_approvers(request: Request) -> bool:
    rule = request.matched_rule
    return True if rule is None else rule.policy.distinct_step_approvers


def _task_open(*, request: Request, plan: StepPlan, actor: User | None,
               http_request: HttpRequest | None) -> ApprovalTask:
    now = timezone.now()
    step = plan.step
    task = ApprovalTask(
        request=request, step=step, position=plan.position, name=plan.name,
        required_approvals=plan.required_approvals,
        remind_at=now + step.remind_after if step and step.remind_after else None,
        escalate_at=now + step.escalate_after if step and step.escalate_after else None,
        escalation_group=step.escalation_group if step else None,
        distinct_step_approvers=_distinct_step_approvers(request),
    )
    excluded = earlier_deciders(task=task)
    approvers = approvers_resolve(request=request, plan=plan)
    # Too few people to reach the step's count (no manager, no lead, an empty group, only people
    # who decided an earlier step): the fallback group joins instead of the request stalling.
    people = approvers.members(requester_pk=request.requester_id, excluded=excluded)
    escalated = len(people) < plan.required_approvals
    if escalated:
        approvers.groups.append(fallback_group())
        people = approvers.members(requester_pk=request.requester_id, excluded=excluded)
    task.escalated, task.escalated_at = escalated, now if escalated else None
    task.save()
    task.eligible_approvers.set(approvers.users)
    task.eligible_groups.set(approvers.groups)
    described = {"approvers": [u.username for u in approvers.users],
                 "groups": sorted({g.name for g in approvers.groups})}
    audit_record(
        action="approval.task_created", actor=actor, request=http_request, obj=request,
        project=request.project,
        data={"task": task.pk, "step": plan.name, "required_approvals": plan.required_approvals,
              "escalated": escalated, "excluded": sorted(excluded), **described},
    )
    if escalated:
        audit_record(
            action="approval.task_escalated", actor=actor, request=http_request, obj=request,
            project=request.project,
            data={"task": task.pk, "reason": "not enough eligible approvers", **described},
        )
    notify(request=request, recipients=people, subject=f"Approval needed: {request.product}",
           lines=[f"Your approval is needed ({plan.name}).", describe(request),
                  f"Justification: {request.justification}"])
    return task


def _auto_approver(request: Request) -> str:
    """Who approved a request without steps, as the audit trail names it (never a person)."""
    rule = request.matched_rule
    if rule is None:
        return "default:auto"
    return f"policy:{rule.policy.name} / rule:{rule.name}"[:150]


def workflow_advance(*, request: Request, next_position: int, actor: User | None,
                     http_request: HttpRequest | None) -> None:
    """Open the step at ``next_position``, or approve the request when there is none left.

    An approval without any step is the policy's, not the requester's: it is audited with the
    rule as the actor, so a segregation-of-duties query finds no self-approval.
    """
    plans = step_plans(request=request)
    if next_position < len(plans):
        _task_open(request=request, plan=plans[next_position], actor=actor,
                   http_request=http_request)
        return
    status_transition(obj=request, to=Request.Status.APPROVED)
    how = "steps" if plans else ("rule" if request.matched_rule else "default")
    if plans:
        audit_record(action="request.approved", actor=actor, request=http_request, obj=request,
                     project=request.project, data={"how": how})
    else:
        rule = request.matched_rule
        audit_record(action="request.approved", actor_username=_auto_approver(request),
                     obj=request, project=request.project,
                     data={"how": how, "rule": rule.name if rule else None,
                           "policy": rule.policy.name if rule else None})
    deciders = User.objects.filter(pk__in=Decision.objects.filter(task__request=request)
                                   .values("approver"))
    notify(request=request, recipients=[request.requester, *deciders],
           subject=f"Request approved: {request.product}",
           lines=["The request was approved and handed to provisioning.", describe(request)])
    request_pk = request.pk
    transaction.on_commit(lambda: request_hand_off(request=Request.objects.get(pk=request_pk)),
                          robust=True)


def task_close(*, task: ApprovalTask, request: Request, status: str, actor: User | None,
               http_request: HttpRequest | None) -> None:
    """End a pending task with ``status`` and audit it."""
    status_transition(obj=task, to=status)
    audit_record(action=f"approval.task_{status}", actor=actor, request=http_request,
                 obj=request, project=request.project,
                 data={"task": task.pk, "step": task.name})


def request_close(*, request: Request, status: str, actor: User | None, reason: str,
                  http_request: HttpRequest | None) -> None:
    """End a pending (locked) request; open tasks are skipped (or expired with it)."""
    open_tasks = list(request.tasks.filter(status=ApprovalTask.Status.PENDING))
    task_status = (ApprovalTask.Status.EXPIRED if status == Request.Status.EXPIRED
                   else ApprovalTask.Status.SKIPPED)
    approvers: dict[int, User] = {}
    for open_task in open_tasks:
        open_task.request = request
        for user in task_approvers(task=open_task):
            approvers[user.pk] = user
        task_close(task=open_task, request=request, status=task_status, actor=actor,
                   http_request=http_request)
    decided = request.tasks.exclude(pk__in=[t.pk for t in open_tasks])
    for user in User.objects.filter(pk__in=Decision.objects.filter(task__in=decided)
                                    .values("approver")):
        approvers[user.pk] = user
    request.status_reason = reason
    status_transition(obj=request, to=status, update_fields=["status_reason"])
    request_closed(request=request)  # its change plan, if any, is deleted (provisioning)
    audit_record(action=f"request.{status}", actor=actor, request=http_request, obj=request,
                 project=request.project, data={"reason": reason})
    label = request.get_status_display().lower()
    lines = [f"The request was {label}.", describe(request)]
    if reason:
        lines.append(f"Reason: {reason}")
    notify(request=request, recipients=[request.requester, *approvers.values()],
           subject=f"Request {label}: {request.product}", lines=lines)


def request_reapproval(*, request: Request, reason: str, actor_label: str) -> None:
    """Send an approved (locked) request back to its approvers: what they approved can no longer
    be applied as approved (its change plan went stale and was made again).

    The earlier round's tasks are kept as they were, marked superseded (their deciders may decide
    again); the workflow opens from its first step, which notifies the approvers. Audited as
    ``request.reapproval`` with ``actor_label`` (a portal rule acted, not a person).
    """
    request.tasks.filter(superseded=False).update(superseded=True)
    request.status_reason = reason
    request.handed_off_at = None
    status_transition(obj=request, to=Request.Status.PENDING,
                      update_fields=["status_reason", "handed_off_at"])
    request.decided_at = None
    request.save(update_fields=["decided_at", "updated_at"])
    audit_record(action="request.reapproval", actor_username=actor_label, obj=request,
                 project=request.project, data={"reason": reason})
    notify(request=request, recipients=[request.requester],
           subject=f"Request back for approval: {request.product}",
           lines=["Your approved request goes back to its approvers.", f"Reason: {reason}",
                  describe(request)])
    workflow_advance(request=request, next_position=0, actor=None, http_request=None)
