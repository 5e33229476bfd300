"""Writes of the approval workflow: create, decide, cancel, hand off.

State changes lock the request row first, then the task (``select_for_update``), so two approvers
deciding at once are serialised and the second one sees the first one's outcome. Every transition
and decision is audited; emails and the hand-off to provisioning run on commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from approvals.errors import (
    AlreadyDecided,
    ApprovalError,
    CommentRequired,
    InvalidTransition,
    NotAllowed,
    NotEligible,
    RequestInvalid,
    SelfApproval,
)
from approvals.models import ApprovalTask, Decision, Request
from approvals.notifications import describe, notify
from approvals.policies import (
    Approvers,
    StepPlan,
    approvers_resolve,
    fallback_group,
    rule_for_request,
    step_plans,
)
from catalog.models import Product, ProductVersion
from catalog.parameters import parameters_validate
from catalog.selectors import (
    cost_estimate,
    product_for_user,
    projects_for_product,
    version_default,
    version_for_form,
    versions_requestable,
)
from portal.models import User
from portal.selectors import projects_for_user
from portal.services import audit_record

logger = logging.getLogger(__name__)

JUSTIFICATION_MAX = 4000
COMMENT_MAX = 4000


# --- Creating a request ----------------------------------------------------------------------

TagErrors = dict[str, list[str]]


def _tag_choices_clean(*, product: Product,
                       choices: Mapping[str, Any]) -> tuple[dict[str, str], TagErrors]:
    """Each TagOption key of the product needs one of its values; nothing else is accepted."""
    allowed: dict[str, list[str]] = {}
    for option in product.tag_options.all():
        if option.active and option.retired_at is None:
            allowed.setdefault(option.key, []).append(option.value)
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for key, value in choices.items():
        if key not in allowed:
            errors[str(key)] = ["Not a tag option of this product."]
        elif not isinstance(value, str) or value not in allowed[key]:
            errors[key] = ["Choose one of: " + ", ".join(sorted(allowed[key])) + "."]
        else:
            cleaned[key] = value
    for key in allowed:
        if key not in choices:
            errors[key] = ["Choose a value for this tag."]
    return cleaned, errors


def _version_pick(*, product: Product, version_id: int | None) -> ProductVersion | None:
    versions = versions_requestable(product=product)
    if version_id is None:
        return version_default(product=product, versions=versions)
    return next((v for v in versions if v.pk == version_id), None)


def request_create(
    *,
    requester: User,
    project_slug: str,
    product_id: int | str,
    parameters: Mapping[str, Any],
    justification: str,
    version_id: int | None = None,
    tag_choices: Mapping[str, Any] | None = None,
    action: str = Request.Action.CREATE,
    environment_ref: str | None = None,
    http_request: HttpRequest | None = None,
) -> Request:
    """Validate a request completely, then store it and start its workflow.

    A product the requester may not see raises Http404; any other bad input raises
    ``RequestInvalid`` with every field's errors. Nothing is written unless all of it is valid.
    """
    product = product_for_user(user=requester, pk=product_id)
    errors: dict[str, Any] = {}

    project = projects_for_user(user=requester).filter(slug=project_slug).first()
    if project is None:
        errors["project"] = ["You are not a member of this project."]
    elif not projects_for_product(user=requester, product=product).filter(pk=project.pk).exists():
        errors["project"] = ["This product cannot be provisioned in this project's AWS account "
                             "and region."]

    version = _version_pick(product=product, version_id=version_id)
    if version is None:
        errors["version"] = ["This version cannot be requested."]

    if action not in Request.Action.values:
        errors["action"] = ["Choose one of: " + ", ".join(Request.Action.values) + "."]
    elif action == Request.Action.CREATE and environment_ref:
        errors["environment_ref"] = ["A new environment has no environment reference."]
    elif action != Request.Action.CREATE and not (environment_ref or "").strip():
        errors["environment_ref"] = ["Say which environment this request is about."]

    text = (justification or "").strip()
    if not text:
        errors["justification"] = ["Explain why you need this environment."]
    elif len(text) > JUSTIFICATION_MAX:
        errors["justification"] = [f"At most {JUSTIFICATION_MAX} characters."]

    values: dict[str, str] = {}
    if version is not None and action != Request.Action.TERMINATE:
        if not isinstance(parameters, Mapping):
            errors["parameters"] = {"__all__": ["Parameters must be an object of key/value."]}
        else:
            try:
                values = parameters_validate(version=version_for_form(version=version),
                                             values=parameters)
            except ValidationError as exc:
                errors["parameters"] = exc.message_dict

    tags, tag_errors = _tag_choices_clean(product=product, choices=tag_choices or {})
    if tag_errors:
        errors["tag_choices"] = tag_errors

    if errors:
        raise RequestInvalid(errors)
    assert project is not None and version is not None

    estimate = cost_estimate(region=project.aws_region, parameters=values)
    with transaction.atomic():
        request = Request(
            requester=requester, project=project, product=product, version=version, action=action,
            environment_ref=(environment_ref or "").strip() or None, parameters=values,
            tag_choices=tags, justification=text,
            estimated_monthly_cost=estimate.usd_per_month if estimate else None,
        )
        request.matched_rule = rule_for_request(request=request)
        request.save()
        audit_record(
            action="request.created", actor=requester, request=http_request, obj=request,
            project=project,
            data={"product": product.name, "version": version.name, "action": action,
                  "parameters": _loggable(request), "tag_choices": tags,
                  "estimated_monthly_cost": _money(request.estimated_monthly_cost),
                  "rule": request.matched_rule.name if request.matched_rule else None},
        )
        notify(request=request, recipients=[requester], subject=f"Request submitted: {product}",
               lines=["Your request was submitted.", describe(request)])
        _workflow_advance(request=request, next_position=0, actor=requester,
                          http_request=http_request)
    return request


def _money(value: Any) -> str | None:
    return None if value is None else str(value)


def _loggable(request: Request) -> dict[str, str]:
    """Parameters for the audit trail, without NoEcho values."""
    secret = set(request.version.parameters.filter(no_echo=True).values_list("key", flat=True))
    return {k: ("****" if k in secret else v) for k, v in (request.parameters or {}).items()}


# --- The workflow ------------------------------------------------------------------------------

def task_approvers(*, task: ApprovalTask) -> list[User]:
    """Everyone who may decide the task now: named people and current group members."""
    approvers = Approvers(users=list(task.eligible_approvers.all()),
                          groups=list(task.eligible_groups.all()))
    return approvers.members(requester_pk=task.request.requester_id)


def task_is_eligible(*, task: ApprovalTask, user: User) -> bool:
    if not user.is_active or user.pk == task.request.requester_id:
        return False
    return (task.eligible_approvers.filter(pk=user.pk).exists()
            or user.groups.filter(pk__in=task.eligible_groups.values("pk")).exists())


def _task_open(*, request: Request, plan: StepPlan, actor: User | None,
               http_request: HttpRequest | None) -> ApprovalTask:
    now = timezone.now()
    step = plan.step
    approvers = approvers_resolve(request=request, plan=plan)
    # Too few people to reach the step's count (no manager, no lead, an empty group): the
    # fallback group joins instead of the request stalling.
    escalated = len(approvers.members(requester_pk=request.requester_id)) < plan.required_approvals
    if escalated:
        approvers.groups.append(fallback_group())
    task = ApprovalTask.objects.create(
        request=request, step=step, position=plan.position, name=plan.name,
        required_approvals=plan.required_approvals,
        remind_at=now + step.remind_after if step and step.remind_after else None,
        escalate_at=now + step.escalate_after if step and step.escalate_after else None,
        escalation_group=step.escalation_group if step else None,
        escalated=escalated, escalated_at=now if escalated else None,
    )
    task.eligible_approvers.set(approvers.users)
    task.eligible_groups.set(approvers.groups)
    people = approvers.members(requester_pk=request.requester_id)
    described = {"approvers": [u.username for u in approvers.users],
                 "groups": sorted({g.name for g in approvers.groups})}
    audit_record(
        action="approval.task_created", actor=actor, request=http_request, obj=request,
        project=request.project,
        data={"task": task.pk, "step": plan.name, "required_approvals": plan.required_approvals,
              "escalated": escalated, **described},
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


def _workflow_advance(*, request: Request, next_position: int, actor: User | None,
                      http_request: HttpRequest | None) -> None:
    """Open the step at ``next_position``, or approve the request when there is none left."""
    plans = step_plans(request=request)
    if next_position < len(plans):
        _task_open(request=request, plan=plans[next_position], actor=actor,
                   http_request=http_request)
        return
    request.status = Request.Status.APPROVED
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at", "updated_at"])
    how = "steps" if plans else ("rule" if request.matched_rule else "default")
    audit_record(action="request.approved", actor=actor, request=http_request, obj=request,
                 project=request.project, data={"how": how})
    deciders = User.objects.filter(pk__in=Decision.objects.filter(task__request=request)
                                   .values("approver"))
    notify(request=request, recipients=[request.requester, *deciders],
           subject=f"Request approved: {request.product}",
           lines=["The request was approved and handed to provisioning.", describe(request)])
    request_pk = request.pk
    transaction.on_commit(lambda: request_hand_off(request=Request.objects.get(pk=request_pk)),
                          robust=True)


def _lock(*, task: ApprovalTask) -> tuple[Request, ApprovalTask]:
    request = Request.objects.select_for_update(of=("self",)).select_related(
        "requester", "project", "product", "version"
    ).get(pk=task.request_id)
    locked = ApprovalTask.objects.select_for_update(of=("self",)).get(pk=task.pk)
    locked.request = request
    return request, locked


def _decide(*, task: ApprovalTask, approver: User, verdict: str, comment: str,
            http_request: HttpRequest | None) -> Decision:
    with transaction.atomic():
        request, task = _lock(task=task)
        # Separation of duties, checked under the lock whatever the caller checked before.
        if request.requester_id == approver.pk:
            raise SelfApproval("You cannot decide your own request.")
        if not task_is_eligible(task=task, user=approver):
            raise NotEligible("You are not an approver of this step.")
        if task.status != ApprovalTask.Status.PENDING or request.status != Request.Status.PENDING:
            raise AlreadyDecided(
                f"Already decided: this step is {task.get_status_display().lower()} and the "
                f"request is {request.get_status_display().lower()}."
            )
        if Decision.objects.filter(task=task, approver=approver).exists():
            raise AlreadyDecided("Already decided: you have decided this step before.")
        decision = Decision.objects.create(task=task, approver=approver, verdict=verdict,
                                           comment=comment)
        audit_record(action="approval.decided", actor=approver, request=http_request, obj=request,
                     project=request.project,
                     data={"task": task.pk, "step": task.name, "verdict": verdict,
                           "comment": comment})
        if verdict == Decision.Verdict.REJECT:
            _task_close(task=task, request=request, status=ApprovalTask.Status.REJECTED,
                        actor=approver, http_request=http_request)
            _request_close(request=request, status=Request.Status.REJECTED, actor=approver,
                           reason=comment, http_request=http_request)
            return decision
        approvals = task.decisions.filter(verdict=Decision.Verdict.APPROVE).count()
        if approvals < task.required_approvals:
            return decision
        _task_close(task=task, request=request, status=ApprovalTask.Status.APPROVED,
                    actor=approver, http_request=http_request)
        remaining = step_plans(request=request)[task.position + 1:]
        if remaining:
            notify(request=request, recipients=[request.requester],
                   subject=f"Step approved: {request.product}",
                   lines=[f"“{task.name}” approved your request; it now waits for "
                          f"“{remaining[0].name}”.", describe(request)])
        _workflow_advance(request=request, next_position=task.position + 1, actor=approver,
                          http_request=http_request)
        return decision


def _task_close(*, task: ApprovalTask, request: Request, status: str, actor: User | None,
                http_request: HttpRequest | None) -> None:
    task.status = status
    task.decided_at = timezone.now()
    task.save(update_fields=["status", "decided_at"])
    audit_record(action=f"approval.task_{status}", actor=actor, request=http_request,
                 obj=request, project=request.project,
                 data={"task": task.pk, "step": task.name})


def _request_close(*, request: Request, status: str, actor: User | None, reason: str,
                   http_request: HttpRequest | None) -> None:
    """End a pending request; open tasks are skipped (or expired with it)."""
    open_tasks = list(request.tasks.filter(status=ApprovalTask.Status.PENDING))
    task_status = (ApprovalTask.Status.EXPIRED if status == Request.Status.EXPIRED
                   else ApprovalTask.Status.SKIPPED)
    approvers: dict[int, User] = {}
    for open_task in open_tasks:
        open_task.request = request
        for user in task_approvers(task=open_task):
            approvers[user.pk] = user
        _task_close(task=open_task, request=request, status=task_status, actor=actor,
                    http_request=http_request)
    decided = request.tasks.exclude(pk__in=[t.pk for t in open_tasks])
    for user in User.objects.filter(pk__in=Decision.objects.filter(task__in=decided)
                                    .values("approver")):
        approvers[user.pk] = user
    request.status = status
    request.status_reason = reason
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "status_reason", "decided_at", "updated_at"])
    audit_record(action=f"request.{status}", actor=actor, request=http_request, obj=request,
                 project=request.project, data={"reason": reason})
    label = request.get_status_display().lower()
    lines = [f"The request was {label}.", describe(request)]
    if reason:
        lines.append(f"Reason: {reason}")
    notify(request=request, recipients=[request.requester, *approvers.values()],
           subject=f"Request {label}: {request.product}", lines=lines)


def request_approve(*, task: ApprovalTask, approver: User, comment: str = "",
                    http_request: HttpRequest | None = None) -> Decision:
    if len(comment) > COMMENT_MAX:
        raise CommentRequired(f"The comment can be at most {COMMENT_MAX} characters.")
    return _decide(task=task, approver=approver, verdict=Decision.Verdict.APPROVE,
                   comment=comment.strip(), http_request=http_request)


def request_reject(*, task: ApprovalTask, approver: User, comment: str,
                   http_request: HttpRequest | None = None) -> Decision:
    text = (comment or "").strip()
    if not text:
        raise CommentRequired("Say why you reject the request: a comment is required.")
    if len(text) > COMMENT_MAX:
        raise CommentRequired(f"The comment can be at most {COMMENT_MAX} characters.")
    return _decide(task=task, approver=approver, verdict=Decision.Verdict.REJECT, comment=text,
                   http_request=http_request)


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
        locked = Request.objects.select_for_update(of=("self",)).select_related(
            "requester", "project", "product", "version"
        ).get(pk=request.pk)
        if locked.requester_id != user.pk:
            raise NotAllowed("Only the requester can cancel a request.")
        if locked.status != Request.Status.PENDING:
            raise InvalidTransition(
                f"Only a pending request can be cancelled; this one is "
                f"{locked.get_status_display().lower()}."
            )
        _request_close(request=locked, status=Request.Status.CANCELLED, actor=user,
                       reason="Cancelled by the requester.", http_request=http_request)
    return locked


# --- Hand-off to provisioning ------------------------------------------------------------------

HandOff = Callable[..., Any]
_hand_off_handlers: list[HandOff] = []


def hand_off_register(handler: HandOff) -> None:
    """Register what receives approved requests (provisioning does, in its ``AppConfig.ready``).

    approvals sits below provisioning in the dependency chain, so it never imports it: the
    receiver registers itself here instead. Registering the same handler twice keeps one.
    """
    if handler not in _hand_off_handlers:
        _hand_off_handlers.append(handler)


class HandOffMissing(Exception):
    """No app receives approved requests: the provisioning app is not installed."""


def request_hand_off(*, request: Request) -> None:
    """Give an approved request to provisioning, once. Runs on commit of the approval."""
    with transaction.atomic():
        locked = (Request.objects.select_for_update(of=("self",)).select_related("project")
                  .get(pk=request.pk))
        if locked.status != Request.Status.APPROVED or locked.handed_off_at is not None:
            return
        if not _hand_off_handlers:
            raise HandOffMissing("No handler is registered for approved requests.")
        for handler in _hand_off_handlers:
            handler(request=locked)
        locked.handed_off_at = timezone.now()
        locked.save(update_fields=["handed_off_at", "updated_at"])
        audit_record(action="request.handed_off", obj=locked, project=locked.project,
                     data={"handlers": [f"{h.__module__}.{h.__qualname__}"
                                        for h in _hand_off_handlers]})
    request.handed_off_at = locked.handed_off_at
