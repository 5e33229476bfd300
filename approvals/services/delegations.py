"""Out-of-office delegation: an approver names a delegate for a date range.

While a delegation is in range (``starts_on`` ≤ today ≤ ``ends_on``, today in the portal's time
zone, and not ended early) the delegate may decide, on the delegator's behalf, the tasks that
name the delegator in person: named users, the project's leads, the requester's manager.

Group steps are left out on purpose: a group step is decided by any member of the group (the
platform team, risk), so another member already covers an absent one, and letting a member's
delegate in would grant the group's authority to someone the bank never put in the group.

Separation of duties holds for the delegate as for anyone (``approvals.services.decide``): never
their own request, never two steps of one request (a decision on someone's behalf counts for
both the delegate and the delegator under four eyes across steps), one decision per task.
Delegation does not chain: a delegate's own delegate gets nothing of the first delegator.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from approvals.errors import DelegationInvalid, InvalidTransition, NotAllowed
from approvals.models import ApprovalDelegation, ApprovalTask, Decision
from approvals.services.workflow import earlier_deciders
from portal.models import User
from portal.services import audit_record

REASON_MAX = 500


def delegations_in_range(*, on: datetime.date | None = None) -> QuerySet[ApprovalDelegation]:
    """Delegations in force on ``on`` (today): in range, not ended early, the delegator active."""
    day = on or timezone.localdate()
    return ApprovalDelegation.objects.filter(starts_on__lte=day, ends_on__gte=day,
                                             ended_at__isnull=True, delegator__is_active=True)


def task_delegator(*, task: ApprovalTask, user: User) -> User | None:
    """The approver named in person on the task whom ``user`` may decide it for today, if any.

    The delegator must be one the task would let decide now: named in person (not by a group),
    not the requester, not someone who decided (or had decided for them) another step under four
    eyes, nor this task already. Of several, the first by username."""
    if not user.is_active:
        return None
    decided = Decision.objects.filter(task=task).values_list("approver", "on_behalf_of")
    excluded = {pk for pair in decided for pk in pair if pk is not None}
    excluded |= earlier_deciders(task=task)
    excluded.add(task.request.requester_id)
    return (User.objects.filter(
        is_active=True, approval_tasks=task,
        pk__in=delegations_in_range().filter(delegate=user).values("delegator"))
        .exclude(pk__in=excluded).order_by("username").first())


def _errors(*, delegator: User, delegate: User | None, delegate_username: str,
            starts_on: datetime.date, ends_on: datetime.date, reason: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if delegate is None:
        errors["delegate"] = [f"No active user is called “{delegate_username}”."]
    elif delegate.pk == delegator.pk:
        errors["delegate"] = ["Name someone else: you cannot be your own delegate."]
    if starts_on < timezone.localdate():
        errors["starts_on"] = ["The delegation cannot start in the past."]
    if ends_on < starts_on:
        errors["ends_on"] = ["The last day cannot be before the first day."]
    if len(reason) > REASON_MAX:
        errors["reason"] = [f"The reason can be at most {REASON_MAX} characters."]
    if errors:
        return errors
    # One delegate a day: a range overlapping another delegation still to run is refused,
    # so who decides for an absent approver is never ambiguous. End the other one first.
    clash = ApprovalDelegation.objects.filter(
        delegator=delegator, ended_at__isnull=True, starts_on__lte=ends_on,
        ends_on__gte=starts_on).order_by("starts_on").first()
    if clash is not None:
        errors["starts_on"] = [
            f"You already have a delegation to {clash.delegate.display_name} from "
            f"{clash.starts_on:%Y-%m-%d} to {clash.ends_on:%Y-%m-%d}; the ranges overlap. End "
            "it first or choose other days."]
    return errors


def delegation_create(*, delegator: User, delegate_username: str, starts_on: datetime.date,
                      ends_on: datetime.date, reason: str = "",
                      http_request: HttpRequest | None = None) -> ApprovalDelegation:
    """Name a delegate for a date range; ``DelegationInvalid`` (nothing stored) when refused."""
    reason = (reason or "").strip()
    username = (delegate_username or "").strip()
    with transaction.atomic():
        # The delegator's row lock serialises two creates of theirs, so the overlap check holds.
        User.objects.select_for_update().filter(pk=delegator.pk).first()
        delegate = User.objects.filter(is_active=True).filter(
            Q(username__iexact=username)).first() if username else None
        errors = _errors(delegator=delegator, delegate=delegate, delegate_username=username,
                         starts_on=starts_on, ends_on=ends_on, reason=reason)
        if errors:
            raise DelegationInvalid(errors)
        assert delegate is not None  # _errors reports a missing delegate
        delegation = ApprovalDelegation.objects.create(
            delegator=delegator, delegate=delegate, starts_on=starts_on, ends_on=ends_on,
            reason=reason)
        audit_record(action="delegation.created", actor=delegator, request=http_request,
                     obj=delegation,
                     data={"delegate": delegate.username, "starts_on": starts_on.isoformat(),
                           "ends_on": ends_on.isoformat(), "reason": reason})
    return delegation


def delegation_end(*, delegation: ApprovalDelegation, user: User,
                   http_request: HttpRequest | None = None) -> ApprovalDelegation:
    """The delegator ends a delegation early (or withdraws one yet to start)."""
    with transaction.atomic():
        locked = ApprovalDelegation.objects.select_for_update().select_related(
            "delegate").get(pk=delegation.pk)
        if locked.delegator_id != user.pk:
            raise NotAllowed("Only the approver who named the delegate can end the delegation.")
        if locked.ended_at is not None or locked.ends_on < timezone.localdate():
            raise InvalidTransition("This delegation is already over.")
        locked.ended_at = timezone.now()
        locked.save(update_fields=["ended_at"])
        audit_record(action="delegation.ended", actor=user, request=http_request, obj=locked,
                     data={"delegate": locked.delegate.username,
                           "starts_on": locked.starts_on.isoformat(),
                           "ends_on": locked.ends_on.isoformat()})
    return locked
