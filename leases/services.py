"""Leases: open one with each environment, warn before the end, stop at the end, terminate
after the grace period unless extended; extensions (approved ``extend`` requests) and an
admin's pause.

Each lease is enforced by ``lease_enforce`` (one step: whatever is due now), which the sweep's
tasks call; it locks the lease row, so two runs do the step once. Stops and terminations go
through provisioning's lifecycle (the real follow-up and boto3 path), audited with the lease as
actor (``LEASE_ACTOR``), never the owner. Every step is on the environment's timeline
(``EnvironmentEvent.Kind.LEASE``) and in the audit trail.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from approvals.models import Request
from catalog.leases import lease_terms
from leases.models import Lease
from leases.notices import lease_notify
from portal.models import User
from portal.services import audit_record
from portal.statements import MARKER_ID, Slot, Statement
from provisioning.hooks import EnvironmentNote
from provisioning.lifecycle import environment_stop_by_rule, environment_terminate_by_rule
from provisioning.models import Environment, EnvironmentEvent
from provisioning.services import event_add

Status = Environment.Status
DAY = timedelta(days=1)
LEASE_ACTOR = "lease"  # the audit events' actor for what the lease does
REASON_MAX = 1000
# Statuses in which a step waits (an operation in flight): looked at again after a sweep period.
BUSY = (Status.QUEUED, Status.PROVISIONING, Status.STARTING, Status.STOPPING, Status.UPDATING)


class LeaseError(Exception):
    """A lease action that is not possible now; the message says why."""


def _when(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")


def _retry_later(now: datetime) -> datetime:
    return now + timedelta(seconds=max(settings.PORTAL_LEASE_SWEEP_SECONDS, 60))


def grace_days(environment: Environment) -> int:
    return lease_terms(product=environment.product, project=environment.project).grace_days


def lease_next_due(lease: Lease, *, end: datetime | None, grace: int,
                   now: datetime) -> datetime | None:
    """When the lease has something to do next: a warning, the end, the termination."""
    if lease.paused or lease.terminated_at is not None or end is None:
        return None
    if lease.ended_at is not None:
        return end + timedelta(days=grace)
    warnings = [end - d * DAY for d in settings.PORTAL_LEASE_WARN_DAYS
                if lease.warned_days is None or lease.warned_days > d]
    return max(min([*warnings, end]), now) if warnings else end


def _event(environment: Environment, message: str) -> None:
    event_add(environment=environment, kind=EnvironmentEvent.Kind.LEASE, message=message)


# --- Opening -----------------------------------------------------------------------------------

def lease_open(environment: Environment) -> Lease:
    """A new environment's lease: the request's days (else the terms' default) from now.

    Called by provisioning inside the transaction that creates the environment."""
    now = timezone.now()
    request = environment.origin_request
    terms = lease_terms(product=environment.product, project=environment.project)
    days = request.lease_days or terms.default_days
    environment.expires_at = now + days * DAY
    environment.save(update_fields=["expires_at"])
    lease = Lease(environment=environment)
    lease.due_at = lease_next_due(lease, end=environment.expires_at, grace=terms.grace_days,
                                  now=now)
    lease.save(force_insert=True)
    _event(environment, f"Lease of {days} days: it ends {_when(environment.expires_at)}.")
    audit_record(action="lease.opened", actor_username=LEASE_ACTOR, obj=environment,
                 project=environment.project,
                 data={"days": days, "ends_at": environment.expires_at.isoformat()})
    return lease


# --- Enforcement -------------------------------------------------------------------------------

def _locked(environment_id: Any) -> Lease | None:
    # of=("self",): lock the lease row only, not the environment, product, project, owner.
    return Lease.objects.select_for_update(of=("self",)).select_related(
        "environment__product", "environment__project", "environment__owner",
    ).filter(pk=environment_id).first()


def lease_enforce(*, environment_id: Any, now: datetime | None = None) -> str:
    """Do what is due now for one lease; returns what was done (for logs and tests).

    "warned", "stopped" (the end: a running notebook stopped, the owner told), "ended" (the end
    of something that was not running), "terminated", "waiting" (an operation in flight: looked
    at again later), "paused", "gone" (terminated), "nothing".
    """
    now = now or timezone.now()
    with transaction.atomic():
        lease = _locked(environment_id)
        if lease is None:
            return "nothing"
        environment = lease.environment
        outcome = _step(lease, environment, now=now)
        if outcome != "waiting":
            lease.due_at = lease_next_due(lease, end=environment.expires_at,
                                          grace=grace_days(environment), now=now)
        lease.save()
    return outcome


def _step(lease: Lease, environment: Environment, *, now: datetime) -> str:
    end = environment.expires_at
    if environment.status == Status.TERMINATED:
        lease.terminated_at = lease.terminated_at or now
        return "gone"
    if lease.paused:
        return "paused"
    if end is None or lease.terminated_at is not None:
        return "nothing"
    grace = grace_days(environment)
    if lease.ended_at is not None:
        if now < end + timedelta(days=grace):
            return "nothing"
        return _terminate(lease, environment, now=now)
    if now >= end:
        return _end(lease, environment, now=now, grace=grace)
    return _warn(lease, environment, now=now, end=end)


def _warn(lease: Lease, environment: Environment, *, now: datetime, end: datetime) -> str:
    crossed = [d for d in settings.PORTAL_LEASE_WARN_DAYS
               if now >= end - d * DAY and (lease.warned_days is None or lease.warned_days > d)]
    if not crossed:
        return "nothing"
    days = min(crossed)  # a late sweep sends the nearest warning only, never a stale one
    lease.warned_days = days
    left = end - now
    text = (f"The lease ends {_when(end)} (in {left.days} day{'s' if left.days != 1 else ''}"
            f"{'' if left.days else ', less than a day'}).")
    _event(environment, f"Warning sent: {text}")
    audit_record(action="lease.warned", actor_username=LEASE_ACTOR, obj=environment,
                 project=environment.project, data={"days": days, "ends_at": end.isoformat()})
    lease_notify(environment=environment,
                 subject=f"Lease ends {_when(end)}: {environment.provisioned_product_name}",
                 lines=[f"{environment.product.name} ({environment.provisioned_product_name}): "
                        f"{text}",
                        "At the end a notebook is stopped; it is terminated "
                        f"{grace_days(environment)} days later unless the lease is extended."])
    return "warned"


def _end(lease: Lease, environment: Environment, *, now: datetime, grace: int) -> str:
    if environment.status in BUSY:
        lease.due_at = _retry_later(now)
        return "waiting"
    assert environment.expires_at is not None  # _step checked it
    terminate_on = _when(environment.expires_at + timedelta(days=grace))
    stopped = environment_stop_by_rule(environment=environment, actor_label=LEASE_ACTOR,
                                       reason="the lease ended.")
    lease.ended_at = now
    what = "The notebook is being stopped." if stopped else "Nothing was stopped."
    _event(environment, f"The lease ended. {what} It will be terminated {terminate_on} "
                        "unless the lease is extended.")
    audit_record(action="lease.ended", actor_username=LEASE_ACTOR, obj=environment,
                 project=environment.project,
                 data={"stopped": stopped, "terminate_on": terminate_on})
    lease_notify(environment=environment,
                 subject=f"Lease ended: {environment.provisioned_product_name}",
                 lines=[f"The lease of {environment.product.name} "
                        f"({environment.provisioned_product_name}) ended. {what}",
                        f"It will be terminated {terminate_on} unless the lease is extended."])
    return "stopped" if stopped else "ended"


def _terminate(lease: Lease, environment: Environment, *, now: datetime) -> str:
    if environment.status in BUSY:
        lease.due_at = _retry_later(now)
        return "waiting"
    started = environment_terminate_by_rule(
        environment=environment, actor_label=LEASE_ACTOR,
        reason="the lease ended and its grace period is over.")
    if not started:
        lease.due_at = _retry_later(now)
        return "waiting"
    lease.terminated_at = now
    _event(environment, "The grace period after the lease end is over: terminating.")
    audit_record(action="lease.terminated", actor_username=LEASE_ACTOR, obj=environment,
                 project=environment.project, data={})
    lease_notify(environment=environment,
                 subject=f"Terminated at lease end: {environment.provisioned_product_name}",
                 lines=[f"{environment.product.name} ({environment.provisioned_product_name}) "
                        "is being terminated: its lease ended and was not extended."])
    return "terminated"


# --- Extension, pause ----------------------------------------------------------------------

def lease_extend_apply(*, request: Request) -> None:
    """The approvals hand-off of an approved ``extend`` request (other actions are not ours).

    The new end is ``lease_days`` after the current end, or after now when the end has passed
    (a stopped notebook in its grace period is then no longer terminated). Safe to call twice:
    the hand-off itself runs once per request (``handed_off_at``)."""
    if request.action != Request.Action.EXTEND:
        return
    now = timezone.now()
    with transaction.atomic():
        try:
            lease = _locked(uuid.UUID(str(request.environment_ref)))
        except ValueError:
            return
        if lease is None or lease.environment.project_id != request.project_id:
            return
        environment = lease.environment
        if environment.status == Status.TERMINATED or lease.terminated_at is not None:
            _event(environment, f"Extension request {request.reference} could not be applied: "
                                "the environment is already being terminated.")
            return
        days = int(request.lease_days or 0)
        before = environment.expires_at
        start = max(before, now) if before is not None else now
        environment.expires_at = start + days * DAY
        Environment.objects.filter(pk=environment.pk).update(expires_at=environment.expires_at)
        lease.warned_days = None
        lease.ended_at = None
        lease.extensions += 1
        lease.due_at = lease_next_due(lease, end=environment.expires_at,
                                      grace=grace_days(environment), now=now)
        lease.save()
        _event(environment, f"Lease extended by {days} days (request {request.reference}): it "
                            f"ends {_when(environment.expires_at)}.")
        audit_record(action="lease.extended", actor=request.requester, obj=environment,
                     project=environment.project,
                     data={"request": str(request.pk), "days": days,
                           "before": before.isoformat() if before else None,
                           "ends_at": environment.expires_at.isoformat()})
        lease_notify(environment=environment,
                     subject=f"Lease extended: {environment.provisioned_product_name}",
                     lines=[f"The lease of {environment.provisioned_product_name} now ends "
                            f"{_when(environment.expires_at)}."])


def lease_pause(*, environment: Environment, admin: User, reason: str,
                http_request: HttpRequest | None = None) -> Lease:
    """A platform admin stops enforcement of one environment's lease, with a reason."""
    if not admin.is_catalog_admin:
        raise PermissionDenied("Only platform admins can pause a lease's enforcement.")
    text = (reason or "").strip()
    if not text:
        raise LeaseError("Say why enforcement is paused.")
    if len(text) > REASON_MAX:
        raise LeaseError(f"The reason is at most {REASON_MAX} characters.")
    with transaction.atomic():
        lease = _locked(environment.pk)
        if lease is None:
            raise LeaseError("This environment has no lease.")
        if lease.paused:
            raise LeaseError("Enforcement of this lease is already paused.")
        lease.paused, lease.paused_reason = True, text
        lease.paused_by, lease.paused_at, lease.due_at = admin, timezone.now(), None
        lease.save()
        _event(lease.environment, f"Lease enforcement paused by {admin.display_name}: {text}")
        audit_record(action="lease.paused", actor=admin, request=http_request,
                     obj=lease.environment, project=lease.environment.project,
                     data={"reason": text})
    return lease


def lease_resume(*, environment: Environment, admin: User,
                 http_request: HttpRequest | None = None) -> Lease:
    """A platform admin resumes enforcement; what became due meanwhile is done at the next
    sweep (a lease that ended while paused is stopped then, its grace counted from its end)."""
    if not admin.is_catalog_admin:
        raise PermissionDenied("Only platform admins can resume a lease's enforcement.")
    with transaction.atomic():
        lease = _locked(environment.pk)
        if lease is None or not lease.paused:
            raise LeaseError("Enforcement of this lease is not paused.")
        lease.paused, lease.paused_reason, lease.paused_by, lease.paused_at = False, "", None, None
        now = timezone.now()
        lease.due_at = lease_next_due(lease, end=lease.environment.expires_at,
                                      grace=grace_days(lease.environment), now=now)
        lease.save()
        _event(lease.environment, f"Lease enforcement resumed by {admin.display_name}.")
        audit_record(action="lease.resumed", actor=admin, request=http_request,
                     obj=lease.environment, project=lease.environment.project, data={})
    return lease


def lease_shorten(*, environment: Environment, admin: User, ends_at: datetime, reason: str,
                  http_request: HttpRequest | None = None, now: datetime | None = None) -> Lease:
    """A platform admin brings the lease's end forward to ``ends_at`` (not in the past, before
    the current end), with a reason. The next sweep after ``ends_at`` stops the environment;
    the warnings not sent yet are due at once when their time has passed."""
    if not admin.is_catalog_admin:
        raise PermissionDenied("Only platform admins can shorten a lease.")
    now = now or timezone.now()
    text = (reason or "").strip()
    if not text:
        raise LeaseError("Say why the lease is shortened.")
    if len(text) > REASON_MAX:
        raise LeaseError(f"The reason is at most {REASON_MAX} characters.")
    if timezone.is_naive(ends_at):
        raise LeaseError("Give the new end with its time zone (the form's times are UTC).")
    if ends_at < now:
        raise LeaseError(f"The new end {_when(ends_at)} is in the past.")
    with transaction.atomic():
        lease = _locked(environment.pk)
        if lease is None:
            raise LeaseError("This environment has no lease.")
        env = lease.environment
        if lease.ended_at is not None or env.status == Status.TERMINATED:
            raise LeaseError("This lease has already ended.")
        if lease.paused:
            raise LeaseError("Enforcement of this lease is paused: resume it first, or the "
                             "new end would not be enforced.")
        before = env.expires_at
        if before is not None and ends_at >= before:
            raise LeaseError(f"The lease already ends {_when(before)}: shortening needs an "
                             "earlier end (a later one is an extension request).")
        env.expires_at = ends_at
        Environment.objects.filter(pk=env.pk).update(expires_at=ends_at)
        lease.due_at = lease_next_due(lease, end=ends_at, grace=grace_days(env), now=now)
        lease.save(update_fields=["due_at"])
        _event(env, f"Lease shortened by {admin.display_name}: it now ends "
                    f"{_when(ends_at)} ({text}).")
        audit_record(action="lease.shortened", actor=admin, request=http_request, obj=env,
                     project=env.project,
                     data={"before": before.isoformat() if before else None,
                           "ends_at": ends_at.isoformat(), "reason": text})
        lease_notify(environment=env, subject=f"Lease shortened: {env.provisioned_product_name}",
                     lines=[f"A platform admin brought the end of the lease of "
                            f"{env.provisioned_product_name} forward to {_when(ends_at)}: "
                            f"{text}", "It is stopped then."])
    return lease


def lease_state_text(lease: Lease | None, environment: Environment) -> str:
    """One line saying where the lease stands, as its owner reads it."""
    if lease is None or environment.expires_at is None:
        return "No lease yet."
    if lease.paused:
        return f"Enforcement paused: {lease.paused_reason}"
    if lease.terminated_at is not None or environment.status == Status.TERMINATED:
        return "Terminated."
    if lease.ended_at is not None:
        on = _when(environment.expires_at + timedelta(days=grace_days(environment)))
        return f"Ended; it will be terminated {on} unless extended."
    if lease.warned_days is not None:
        return f"Ends soon: warning sent ({lease.warned_days} day(s) before the end)."
    return "Active."


# The environment page's read of its lease, compiled once (portal.statements; issue 16).
_LEASE_OF = Statement(lambda environment: Lease.objects.filter(pk=environment),
                      environment=Slot(Lease._meta.pk, uuid.UUID(int=MARKER_ID)))


def lease_page_notes(environment: Environment, user: Any) -> list[EnvironmentNote]:
    """The environment page's lease line (provisioning.hooks)."""
    found = _LEASE_OF.instances(Lease, using=router.db_for_read(Lease),
                                environment=environment.pk)
    lease = found[0] if found else None
    return [EnvironmentNote(label="Lease", text=lease_state_text(lease, environment),
                            link_label="Lease and extension",
                            link=reverse("leases:lease_detail", kwargs={"pk": environment.pk}))]
