"""Deciding a request: approve or reject a step, approve in bulk, and the requester's cancel.

A decision locks the request row first, then the task (``select_for_update``), so two approvers
deciding at once are serialised and the second one sees the first one's outcome; eligibility,
separation of duties and four eyes across steps are checked again under that lock.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest

from approvals.change_preview import change_preview_approve_refusal
from approvals.errors import (
    AlreadyDecided,
    ApprovalError,
    CommentRequired,
    InvalidTransition,
    NotAllowed,
    NotEligible,
    SelfApproval,
)
from approvals.models import ApprovalTask, Decision, Request
from approvals.notifications import describe, notify
from approvals.policies import step_plans
from approvals.services.delegations import task_delegator
from approvals.services.workflow import (
    earlier_deciders,
    request_close,
    task_close,
    task_is_eligible,
    workflow_advance,
)
from portal.models import User
from portal.services import audit_record

COMMENT_MAX = 4000
REQUEST_RELATED = ("requester", "project", "product", "version")


def _lock(*, task: ApprovalTask) -> tuple[Request, ApprovalTask]:
    request = (Request.objects.select_for_update(of=("self",)).select_related(*REQUEST_RELATED)
               .get(pk=task.request_id))
    locked = ApprovalTask.objects.select_for_update(of=("self",)).get(pk=task.pk)
    locked.request = request
    return request, locked


def _eligibility_check(*, request: Request, task: ApprovalTask, approver: User) -> User | None:
    """Separation of duties, checked under the lock whatever the caller checked before.

    Returns the approver named on the task that ``approver`` decides for as their delegate
    (``approvals.services.delegations``), or None when they decide in their own right."""
    if request.requester_id == approver.pk:
        raise SelfApproval("You cannot decide your own request.")
    excluded = earlier_deciders(task=task)  # read once: task_is_eligible needs them too
    if approver.pk in excluded:
        raise NotEligible("You decided an earlier step of this request; someone else must "
                          "decide this one.")
    on_behalf_of = None
    if not task_is_eligible(task=task, user=approver, excluded=excluded):
        on_behalf_of = task_delegator(task=task, user=approver)
        if on_behalf_of is None:
            raise NotEligible("You are not an approver of this step.")
    if task.status != ApprovalTask.Status.PENDING or request.status != Request.Status.PENDING:
        raise AlreadyDecided(
            f"Already decided: this step is {task.get_status_display().lower()} and the "
            f"request is {request.get_status_display().lower()}."
        )
    # Both "already decided" checks in one query (a bulk approval runs this per task).
    deciders = set(Decision.objects.filter(Q(approver=approver) | Q(on_behalf_of=approver),
                                           task=task).values_list("approver_id", flat=True))
    if approver.pk in deciders:
        raise AlreadyDecided("Already decided: you have decided this step before.")
    if deciders:
        raise AlreadyDecided("Already decided: your delegate decided this step for you.")
    return on_behalf_of


def _on_behalf_notify(*, request: Request, task: ApprovalTask, decision: Decision,
                      delegator: User) -> None:
    """The approver whose delegate decided learns of it (in the portal and by e-mail)."""
    verdict = decision.get_verdict_display().lower()
    notify(request=request, recipients=[delegator],
           subject=f"Decided on your behalf: {request.product}",
           lines=[f"{decision.approver.display_name}, your delegate, {verdict} “{task.name}” "
                  "on your behalf.", describe(request)]
           + ([f"Comment: {decision.comment}"] if decision.comment else []))


def _decide(*, task: ApprovalTask, approver: User, verdict: str, comment: str,
            http_request: HttpRequest | None) -> Decision:
    with transaction.atomic():
        request, task = _lock(task=task)
        on_behalf_of = _eligibility_check(request=request, task=task, approver=approver)
        if verdict == Decision.Verdict.APPROVE:
            refusal = change_preview_approve_refusal(request=request)
            if refusal:  # what is approved must be the plan that will be applied
                raise InvalidTransition(refusal)
        decision = Decision.objects.create(task=task, approver=approver, verdict=verdict,
                                           comment=comment, on_behalf_of=on_behalf_of)
        delegated = {} if on_behalf_of is None else {"on_behalf_of": on_behalf_of.username}
        audit_record(action="approval.decided", actor=approver, request=http_request, obj=request,
                     project=request.project,
                     data={"task": task.pk, "step": task.name, "verdict": verdict,
                           "comment": comment, **delegated})
        if on_behalf_of is not None:
            _on_behalf_notify(request=request, task=task, decision=decision,
                              delegator=on_behalf_of)
        if verdict == Decision.Verdict.REJECT:
            task_close(task=task, request=request, status=ApprovalTask.Status.REJECTED,
                       actor=approver, http_request=http_request)
            request_close(request=request, status=Request.Status.REJECTED, actor=approver,
                          reason=comment, http_request=http_request)
            return decision
        approvals = task.decisions.filter(verdict=Decision.Verdict.APPROVE).count()
        if approvals < task.required_approvals:
            return decision
        task_close(task=task, request=request, status=ApprovalTask.Status.APPROVED,
                   actor=approver, http_request=http_request)
        remaining = step_plans(request=request)[task.position + 1:]
        if remaining:
            notify(request=request, recipients=[request.requester],
                   subject=f"Step approved: {request.product}",
                   lines=[f"“{task.name}” approved your request; it now waits for "
                          f"“{remaining[0].name}”.", describe(request)])
        workflow_advance(request=request, next_position=task.position + 1, actor=approver,
                         http_request=http_request)
        return decision


def _comment_clean(comment: str, *, required: bool) -> str:
    text = (comment or "").strip()
    if required and not text:
        raise CommentRequired("Say why you reject the request: a comment is required.")
    if len(text) > COMMENT_MAX:
        raise CommentRequired(f"The comment can be at most {COMMENT_MAX} characters.")
    return text


def request_approve(*, task: ApprovalTask, approver: User, comment: str = "",
                    http_request: HttpRequest | None = None) -> Decision:
    """Approve one step; the request moves on when the step has its approvals."""
    return _decide(task=task, approver=approver, verdict=Decision.Verdict.APPROVE,
                   comment=_comment_clean(comment, required=False), http_request=http_request)


def request_reject(*, task: ApprovalTask, approver: User, comment: str,
                   http_request: HttpRequest | None = None) -> Decision:
    """Reject one step, and with it the request; a comment saying why is required."""
    return _decide(task=task, approver=approver, verdict=Decision.Verdict.REJECT,
                   comment=_comment_clean(comment, required=True), http_request=http_request)


def tasks_approve(*, tasks: Iterable[ApprovalTask], approver: User, comment: str = "",
                  http_request: HttpRequest | None = None,
                  ) -> list[tuple[ApprovalTask, Decision | ApprovalError]]:
    """Approve several tasks, each on its own: one refusal does not undo the others."""
    results: list[tuple[ApprovalTask, Decision | ApprovalError]] = []
    for task in tasks:
        try:
            results.append((task, request_approve(task=task, approver=approver, comment=comment,
                                                  http_request=http_request)))
        except ApprovalError as exc:
            results.append((task, exc))
    return results


def request_cancel(*, request: Request, user: User,
                   http_request: HttpRequest | None = None) -> Request:
    """The requester withdraws a pending request."""
    with transaction.atomic():
        locked = (Request.objects.select_for_update(of=("self",)).select_related(*REQUEST_RELATED)
                  .get(pk=request.pk))
        if locked.requester_id != user.pk:
            raise NotAllowed("Only the requester can cancel a request.")
        if locked.status != Request.Status.PENDING:
            raise InvalidTransition(
                f"Only a pending request can be cancelled; this one is "
                f"{locked.get_status_display().lower()}."
            )
        request_close(request=locked, status=Request.Status.CANCELLED, actor=user,
                      reason="Cancelled by the requester.", http_request=http_request)
    return locked
