"""Leavers and movers: what the portal does when a person is deactivated or leaves a project.

A leaver (SCIM ``active: false`` or DELETE, or a platform admin's "deactivate"): their sessions
and API token end at once, their pending requests are cancelled, the approval tasks waiting for
them go to the step's fallback group, and each of their environments is handled per its
project's ``leaver_environments``: handed to their manager or a project lead, or stopped and
terminated after the project's grace days. A mover (removed from a project, or from the IdP
group that grants it) is the same for that project's environments only.

Everything here is one transaction; the AWS work (the owner change, the termination) is left to
``identity.tasks`` through ``Handover`` rows, each idempotent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from approvals.models import ApprovalTask, Request
from approvals.policies import fallback_group
from approvals.services import request_close
from identity.models import Departure, Handover
from portal.models import ApiToken, Membership, Project, User
from portal.services import audit_record
from portal.tasking import task_enqueue_on_commit
from provisioning.lifecycle import environment_stop_by_rule
from provisioning.models import Environment

LEAVER_ACTOR = "offboarding"  # the audit events' actor label when no person acted (SCIM, SAML)
Policy = Project.LeaverEnvironments


class AlreadyInactive(Exception):
    """The person is already deactivated; nothing was changed."""


def _sessions_end(user: User) -> int:
    """Delete the person's live sessions (database sessions: decoded one by one; a leaver is
    rare, and ``is_active=False`` already makes Django refuse the session on its next use)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id", "")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


def _requests_cancel(user: User, *, project: Project | None, actor: User | None,
                     reason: str) -> list[str]:
    pending = Request.objects.filter(requester=user, status=Request.Status.PENDING)
    if project is not None:
        pending = pending.filter(project=project)
    cancelled = []
    for pk in pending.values_list("pk", flat=True):
        locked = (Request.objects.select_for_update(of=("self",))
                  .select_related("requester", "project", "product", "version").get(pk=pk))
        if locked.status != Request.Status.PENDING:
            continue
        request_close(request=locked, status=Request.Status.CANCELLED, actor=actor,
                      reason=reason, http_request=None)
        cancelled.append(locked.reference)
    return cancelled


def _tasks_reassign(user: User, *, actor: User | None, actor_label: str,
                    project: Project | None = None) -> list[dict[str, Any]]:
    """Each open task naming the person: they are taken off it and its fallback group (the
    step's escalation group, else PORTAL_APPROVAL_FALLBACK_GROUP) may decide it instead."""
    moved = []
    tasks = (ApprovalTask.objects.filter(status=ApprovalTask.Status.PENDING,
                                         request__status=Request.Status.PENDING,
                                         eligible_approvers=user)
             .select_related("escalation_group", "request__project"))
    if project is not None:
        tasks = tasks.filter(request__project=project)
    for task in tasks:
        group = task.escalation_group or fallback_group()
        task.eligible_approvers.remove(user)
        task.eligible_groups.add(group)
        audit_record(action="approval.task_reassigned", actor=actor,
                     actor_username="" if actor else actor_label, obj=task.request,
                     project=task.request.project,
                     data={"task": task.pk, "step": task.name, "from": user.username,
                           "group": group.name,
                           "reason": "the approver left" + (" the project" if project else "")})
        moved.append({"task": task.pk, "request": task.request.reference, "step": task.name,
                      "group": group.name})
    return moved


def handover_target(*, environment: Environment, leaver: User) -> User | None:
    """Who gets the environment under its project's policy; None: it is terminated instead."""
    policy = environment.project.leaver_environments
    if policy == Policy.TERMINATE:
        return None
    if policy == Policy.MANAGER:
        manager = leaver.manager
        if manager is not None and manager.is_active and manager.pk != leaver.pk:
            return manager
    leads = (User.objects.filter(is_active=True, memberships__project=environment.project,
                                 memberships__role=Membership.ProjectRole.LEAD)
             .exclude(pk=leaver.pk).order_by("pk"))
    return leads.first()


def _environments_hand_over(departure: Departure, *, environments: Any) -> list[Handover]:
    from identity.tasks import handover_transfer_task

    now = timezone.now()
    handovers = []
    for environment in environments.select_related("project", "owner"):
        target = handover_target(environment=environment, leaver=departure.person)
        stopped = environment_stop_by_rule(
            environment=environment, actor_label=LEAVER_ACTOR,
            reason=f"its owner {departure.person.username} "
                   f"{'left' if departure.kind == Departure.Kind.LEAVER else 'left the project'}.")
        handover = Handover(departure=departure, environment=environment, stopped=stopped)
        if target is None:
            handover.action = Handover.Action.TERMINATE
            handover.due_at = now + timedelta(days=environment.project.leaver_grace_days)
            handover.detail = (f"Terminated after {environment.project.leaver_grace_days} days"
                               + ("" if environment.project.leaver_environments == Policy.TERMINATE
                                  else ": nobody to hand it to"))
        else:
            handover.action = Handover.Action.TRANSFER
            handover.new_owner = target
        handover.save()
        audit_record(action="environment.handover_planned", actor_username=LEAVER_ACTOR,
                     obj=environment, project=environment.project,
                     data={"departure": departure.pk, "action": handover.action,
                           "new_owner": target.username if target else "",
                           "due_at": handover.due_at.isoformat() if handover.due_at else "",
                           "stopped": stopped})
        if handover.action == Handover.Action.TRANSFER:
            task_enqueue_on_commit(handover_transfer_task, handover.pk)
        handovers.append(handover)
    return handovers


def _live(environments: Any) -> Any:
    return environments.exclude(status__in=[Environment.Status.TERMINATED,
                                            Environment.Status.TERMINATING])


def person_deactivate(*, user: User, source: str, actor: User | None = None,
                      reason: str = "", request: HttpRequest | None = None) -> Departure:
    """Deactivate a person and end or hand over everything they had (see the module doc).

    Raises ``AlreadyInactive`` for someone already deactivated, so a repeated SCIM call or a
    double click changes nothing twice.
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            raise AlreadyInactive(locked.username)
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        tokens, _ = ApiToken.objects.filter(user=locked).delete()
        departure = Departure.objects.create(
            person=locked, kind=Departure.Kind.LEAVER, source=source,
            actor_username=actor.username if actor else LEAVER_ACTOR, reason=reason[:500],
            sessions_ended=_sessions_end(locked), api_tokens_revoked=tokens)
        departure.requests_cancelled = _requests_cancel(
            locked, project=None, actor=actor, reason="The requester left the organisation.")
        departure.tasks_reassigned = _tasks_reassign(locked, actor=actor,
                                                     actor_label=LEAVER_ACTOR)
        departure.save(update_fields=["requests_cancelled", "tasks_reassigned"])
        handovers = _environments_hand_over(
            departure, environments=_live(Environment.objects.filter(owner=locked)))
        audit_record(action="person.deactivated", actor=actor, request=request,
                     actor_username="" if actor else LEAVER_ACTOR, obj=locked,
                     data={"source": source, "reason": reason[:500], "departure": departure.pk,
                           "sessions_ended": departure.sessions_ended,
                           "api_tokens_revoked": tokens,
                           "requests_cancelled": departure.requests_cancelled,
                           "tasks_reassigned": len(departure.tasks_reassigned),
                           "environments": len(handovers)})
    return departure


def person_reactivate(*, user: User, source: str, actor: User | None = None,
                      request: HttpRequest | None = None) -> bool:
    """SCIM ``active: true`` again (a rehire, an undone mistake): the person may sign in.
    What was handed over stays handed over. False when they were active already."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.is_active:
            return False
        locked.is_active = True
        locked.save(update_fields=["is_active"])
        audit_record(action="person.reactivated", actor=actor, request=request,
                     actor_username="" if actor else LEAVER_ACTOR, obj=locked,
                     data={"source": source})
    return True


def person_leave_project(*, user: User, project: Project, source: str,
                         actor: User | None = None, reason: str = "") -> Departure | None:
    """A mover: the person's membership of ``project`` ends, and their pending requests and
    environments there are handled as a leaver's, and the approval tasks of that project naming
    them go to the fallback group. None when they were not a member."""
    with transaction.atomic():
        deleted, _ = Membership.objects.filter(user=user, project=project).delete()
        if not deleted:
            return None
        departure = Departure.objects.create(
            person=user, kind=Departure.Kind.MOVER, project=project, source=source,
            actor_username=actor.username if actor else LEAVER_ACTOR, reason=reason[:500])
        departure.requests_cancelled = _requests_cancel(
            user, project=project, actor=actor, reason="The requester left the project.")
        departure.tasks_reassigned = _tasks_reassign(user, actor=actor, actor_label=LEAVER_ACTOR,
                                                     project=project)
        departure.save(update_fields=["requests_cancelled", "tasks_reassigned"])
        handovers = _environments_hand_over(
            departure,
            environments=_live(Environment.objects.filter(owner=user, project=project)))
        audit_record(action="person.left_project", actor=actor,
                     actor_username="" if actor else LEAVER_ACTOR, obj=user, project=project,
                     data={"source": source, "reason": reason[:500], "departure": departure.pk,
                           "requests_cancelled": departure.requests_cancelled,
                           "environments": len(handovers)})
    return departure


def memberships_follow_groups(*, user: User, source: str) -> list[Departure]:
    """Movers by group: end the memberships of projects whose ``access_group`` the person is no
    longer in (compared as SAML roles are: a DN case-insensitively, a name by itself or as a
    DN's CN). Called after a SAML sign-in updated their groups and after a SCIM group change."""
    from portal.services import group_names_match

    groups = list(user.groups.values_list("name", flat=True))
    departures = []
    for membership in (Membership.objects.filter(user=user).exclude(project__access_group="")
                       .select_related("project")):
        if not group_names_match(held=groups, wanted=membership.project.access_group):
            departure = person_leave_project(
                user=user, project=membership.project, source=source,
                reason=f"No longer in {membership.project.access_group}.")
            if departure is not None:
                departures.append(departure)
    return departures
