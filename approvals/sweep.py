"""The periodic sweep: reminders, escalations, expiries, and hand-offs lost after a commit.

Each item is handled in its own transaction under a row lock and re-checked there, so two sweeps
running at once (or a sweep racing an approver) change each thing once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from approvals.models import ApprovalTask, Decision, Request
from approvals.notifications import describe, notify
from approvals.policies import fallback_group
from approvals.services import request_close, request_hand_off, task_approvers
from portal.models import User
from portal.services import audit_record


def hand_off_grace() -> timedelta:
    """How long after its approval a request not handed off counts as lost (the process died, or
    its database connection failed, between the commit and the on-commit hand-off): the sweep
    hands it off again. The same PORTAL_STALLED_AFTER_SECONDS as every other sweep; a hand-off
    done twice is harmless (one environment per request)."""
    return timedelta(seconds=settings.PORTAL_STALLED_AFTER_SECONDS)


@dataclass
class SweepReport:
    reminded: int = 0
    escalated: int = 0
    expired: int = 0
    handed_off: int = 0


def _undecided_approvers(task: ApprovalTask) -> list[User]:
    decided = set(Decision.objects.filter(task=task).values_list("approver", flat=True))
    return [u for u in task_approvers(task=task) if u.pk not in decided]


def _expire(*, request_pk: uuid.UUID, cutoff: datetime) -> bool:
    with transaction.atomic():
        request = Request.objects.select_for_update(of=("self",)).select_related(
            "requester", "project", "product", "version").get(pk=request_pk)
        if request.status != Request.Status.PENDING or request.created_at > cutoff:
            return False
        days = settings.PORTAL_APPROVAL_EXPIRY_DAYS
        request_close(request=request, status=Request.Status.EXPIRED, actor=None,
                       reason=f"No decision within {days} days.", http_request=None)
        return True


def _remind(*, task_pk: int, now: datetime) -> bool:
    with transaction.atomic():
        request = Request.objects.select_for_update(of=("self",)).select_related(
            "requester", "project", "product").get(tasks__pk=task_pk)
        task = ApprovalTask.objects.select_for_update(of=("self",)).get(pk=task_pk)
        task.request = request
        if (task.status != ApprovalTask.Status.PENDING or request.status != Request.Status.PENDING
                or task.reminded_at is not None or task.remind_at is None or task.remind_at > now):
            return False
        task.reminded_at = now
        task.save(update_fields=["reminded_at"])
        waiting = _undecided_approvers(task)
        audit_record(action="approval.task_reminded", obj=request, project=request.project,
                     data={"task": task.pk, "step": task.name,
                           "approvers": [u.username for u in waiting]})
        notify(request=request, recipients=waiting, subject=f"Reminder: {request.product}",
               lines=[f"A request still waits for your approval ({task.name}).",
                      describe(request)])
        return True


def _escalate(*, task_pk: int, now: datetime) -> bool:
    with transaction.atomic():
        request = Request.objects.select_for_update(of=("self",)).select_related(
            "requester", "project", "product").get(tasks__pk=task_pk)
        task = (ApprovalTask.objects.select_for_update(of=("self",))
                .select_related("escalation_group").get(pk=task_pk))
        if (task.status != ApprovalTask.Status.PENDING or request.status != Request.Status.PENDING
                or task.escalated or task.escalate_at is None or task.escalate_at > now):
            return False
        task.request = request
        group = task.escalation_group or fallback_group()
        before = {u.pk for u in task_approvers(task=task)}
        task.eligible_groups.add(group)
        added = [u for u in task_approvers(task=task) if u.pk not in before]
        task.escalated = True
        task.escalated_at = now
        task.save(update_fields=["escalated", "escalated_at"])
        audit_record(action="approval.task_escalated", obj=request, project=request.project,
                     data={"task": task.pk, "step": task.name, "group": group.name,
                           "reason": "no decision in time",
                           "added": [u.username for u in added]})
        notify(request=request, recipients=added, subject=f"Escalated to you: {request.product}",
               lines=[f"A request waited too long for “{task.name}” and was escalated to "
                      f"{group.name}.", describe(request)])
        return True


def approval_tasks_sweep(*, now: datetime) -> SweepReport:
    """Expire overdue requests, then remind and escalate the tasks that are due."""
    report = SweepReport()
    cutoff = now - timedelta(days=settings.PORTAL_APPROVAL_EXPIRY_DAYS)
    overdue = Request.objects.filter(status=Request.Status.PENDING, created_at__lte=cutoff)
    for request_pk in overdue.values_list("pk", flat=True):
        report.expired += _expire(request_pk=request_pk, cutoff=cutoff)

    live = ApprovalTask.objects.filter(status=ApprovalTask.Status.PENDING,
                                       request__status=Request.Status.PENDING)
    for pk in live.filter(reminded_at__isnull=True, remind_at__lte=now).values_list("pk",
                                                                                    flat=True):
        report.reminded += _remind(task_pk=pk, now=now)
    for pk in live.filter(escalated=False, escalate_at__lte=now).values_list("pk", flat=True):
        report.escalated += _escalate(task_pk=pk, now=now)

    lost = Request.objects.filter(status=Request.Status.APPROVED, handed_off_at__isnull=True,
                                  decided_at__lte=now - hand_off_grace())
    for request in lost:
        request_hand_off(request=request)
        report.handed_off += request.handed_off_at is not None
    return report
