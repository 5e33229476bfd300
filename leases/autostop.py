"""Auto-stop of notebooks: by an admin's schedule ("weekdays 20:00", the owner's clock) and
after N hours without an open through the portal (each open pushes the deadline back).

``autostop_decide`` says what is due for one environment (pure: the sweep calls it for a
batch); ``autostop_stop`` does one stop (the sweep's task), through provisioning's
``environment_stop_by_rule``, so the stop is audited (``environment.stop``) and on the timeline
with the rule as actor ("schedule: weekdays 20:00 Europe/Paris", "idle: 4 h without an open"),
never the owner. The owner is told at most once per local day. ``autostop_opt_out_set`` is the
owner's switch, honoured only where every applying policy allows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from leases.models import AutoStop
from leases.schedules import AutoStopRules, Schedule, idle_deadline, rules_for
from portal.models import User
from portal.notifications import notify
from portal.services import audit_record
from portal.time_zones import user_time_zone
from provisioning.lifecycle import environment_stop_by_rule
from provisioning.models import Environment, EnvironmentEvent
from provisioning.services import event_add

# A sweep that runs late (an outage, a long queue) still does an occurrence up to an hour
# after it; later than that it is skipped, so a notebook started the next morning is not
# stopped by yesterday evening's schedule.
CATCH_UP = timedelta(hours=1)
SCHEDULE, IDLE = "schedule", "idle"


class AutoStopError(Exception):
    """An auto-stop change that is not possible; the message says why."""


@dataclass(frozen=True)
class Decision:
    """What is due for one environment now: a stop (``rule``: schedule or idle, with the
    actor label and the occurrence acted on) or nothing, and when to look again."""

    rule: str = ""
    label: str = ""
    occurrence: datetime | None = None
    due_at: datetime | None = None


def schedule_label(schedule: Schedule, zone: Any) -> str:
    return f"schedule: {schedule.label()} {zone.key}"


def idle_label(hours: int) -> str:
    return f"idle: {hours} h without an open"


def opted_out_effective(state: AutoStop | None, rules: AutoStopRules) -> bool:
    """An owner's opt-out counts only where the policies allow it."""
    return bool(state is not None and state.opted_out and rules.may_opt_out)


def autostop_decide(*, state: AutoStop, environment: Environment, rules: AutoStopRules,
                    now: datetime) -> Decision:
    """What the auto-stop does now for an available notebook (``environment.owner`` loaded).

    A schedule's occurrence stops it when it is at most ``CATCH_UP`` old, was not acted on yet
    (``state.schedule_fired_at``: once per occurrence, so never twice a day) and the owner did
    not open or start it since (an open after 20:00 means someone is working now). The idle
    stop is due once ``idle_deadline`` has passed. ``due_at`` is the next occurrence or idle
    deadline; a bump of the activity only moves the real deadline later, so a look at the old
    ``due_at`` finds nothing to do and looks again at the new one."""
    if not rules.active or opted_out_effective(state, rules):
        return Decision()
    zone = user_time_zone(environment.owner)
    rule, label, occurrence = "", "", None
    upcoming: list[datetime] = []
    for schedule in rules.schedules:
        latest = schedule.latest(zone, at=now)
        if (latest is not None and not rule and now - latest < CATCH_UP
                and (state.schedule_fired_at is None or state.schedule_fired_at < latest)
                and (environment.last_activity_at is None
                     or environment.last_activity_at < latest)):
            rule, label, occurrence = SCHEDULE, schedule_label(schedule, zone), latest
        following = schedule.next(zone, after=now)
        if following is not None:
            upcoming.append(following)
    deadline = idle_deadline(environment, state, rules)
    if deadline is not None and rules.idle_hours:
        if deadline > now:
            upcoming.append(deadline)
        elif not rule:
            rule, label = IDLE, idle_label(rules.idle_hours)
    return Decision(rule=rule, label=label, occurrence=occurrence,
                    due_at=min(upcoming) if upcoming else None)


def _locked(environment_id: Any) -> AutoStop | None:
    return AutoStop.objects.select_for_update(of=("self",)).select_related(
        "environment__owner", "environment__product", "environment__project",
    ).filter(pk=environment_id).first()


def _reason(rule: str, label: str) -> str:
    if rule == SCHEDULE:
        return f"auto-stop {label.removeprefix('schedule: ')}."
    return f"auto-stop: no open through the portal for {label.removeprefix('idle: ')}."


def autostop_stop(*, environment_id: Any, rule: str, label: str,
                  now: datetime | None = None) -> str:
    """Stop one notebook for ``rule`` (the sweep decided it; checked again under the lock).

    Returns "stopped" (and the owner told, the first time that local day), "opted_out",
    "active" (opened since: the idle deadline moved), "nothing" (not an available notebook
    any more, or no rule applies now)."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _locked(environment_id)
        if state is None:
            return "nothing"
        environment = state.environment
        rules = rules_for(environment)
        if not rules.active or rule not in (SCHEDULE, IDLE):
            return "nothing"
        if opted_out_effective(state, rules):
            return "opted_out"
        if rule == IDLE:
            deadline = idle_deadline(environment, state, rules)
            if deadline is None or deadline > now:
                return "active"
        if not environment_stop_by_rule(environment=environment, actor_label=label,
                                        reason=_reason(rule, label)):
            return "nothing"
        today = now.astimezone(user_time_zone(environment.owner)).date()
        if state.noticed_on != today:
            # Once a day per owner, not per notebook: five notebooks stopped at 20:00 are one
            # notice (each stop is on its own timeline and in the audit trail).
            told = AutoStop.objects.filter(environment__owner_id=environment.owner_id,
                                           noticed_on=today).exists()
            state.noticed_on = today
            state.save(update_fields=["noticed_on"])
            if not told:
                _notify(environment, rule=rule, label=label, rules=rules)
    return "stopped"


def _notify(environment: Environment, *, rule: str, label: str, rules: AutoStopRules) -> None:
    name = environment.provisioned_product_name
    why = (f"its auto-stop schedule ({label.removeprefix('schedule: ')})" if rule == SCHEDULE
           else f"it was not opened through the portal for {rules.idle_hours} h")
    subject = f"Stopped automatically: {name}"
    notify(recipients=[environment.owner], kind="autostop", text=subject,
           link=reverse("provisioning:environment_detail", kwargs={"pk": environment.pk}),
           email_subject=subject, link_label="Open the environment",
           email_lines=[f"{environment.product.name} ({name}) was stopped: {why}.",
                        "Start it again from the portal whenever you need it; its data is "
                        "kept. You get at most one such notice a day: other notebooks of yours "
                        "stopped automatically today are marked so in My environments."])


def autostop_opt_out_set(*, environment: Environment, user: User, opted_out: bool,
                         http_request: HttpRequest | None = None) -> AutoStop:
    """The owner switches the auto-stop of their notebook off (or on again); only where every
    policy that applies allows owners to opt out. Audited and on the timeline."""
    if environment.owner_id != user.pk:
        raise PermissionDenied("Only the environment's owner can change its auto-stop.")
    if not environment.notebook_instance_name:
        raise AutoStopError("Only notebook instances are stopped automatically.")
    rules = rules_for(environment)
    if not rules.active:
        raise AutoStopError("No auto-stop applies to this environment.")
    if opted_out and not rules.may_opt_out:
        raise AutoStopError("The platform admins do not allow opting out of this auto-stop.")
    now = timezone.now()
    with transaction.atomic():
        AutoStop.objects.get_or_create(environment=environment, defaults={"due_at": now})
        state = _locked(environment.pk)
        assert state is not None  # just made
        if state.opted_out == opted_out:
            raise AutoStopError("The auto-stop is already " + ("off." if opted_out else "on."))
        state.opted_out = opted_out
        state.opted_out_by, state.opted_out_at = (user, now) if opted_out else (None, None)
        state.due_at = None if opted_out else now  # back on: the sweep looks at once
        state.save()
        text = "switched off" if opted_out else "switched back on"
        event_add(environment=environment, kind=EnvironmentEvent.Kind.LEASE,
                  message=f"Auto-stop {text} by {user.display_name}.")
        audit_record(action="autostop.opted_out" if opted_out else "autostop.opted_in",
                     actor=user, request=http_request, obj=environment,
                     project=environment.project, data={"rules": rules.text(
                         user_time_zone(environment.owner))})
    return state


def autostop_text(environment: Environment, *, rules: AutoStopRules, state: AutoStop | None,
                  now: datetime | None = None) -> str:
    """The environment page's line: "Stops weekdays 20:00 Europe/Paris; idle stop after 4 h
    without an open; next at 2026-03-09 18:00 CET." (the owner's clock); "" without rules."""
    if not rules.active:
        return ""
    zone = user_time_zone(environment.owner)
    text = rules.text(zone)
    if opted_out_effective(state, rules):
        return f"Switched off by the owner ({text})."
    now = now or timezone.now()
    nexts = [n for n in (s.next(zone, after=now) for s in rules.schedules) if n is not None]
    deadline = idle_deadline(environment, state, rules)
    if deadline is not None and environment.status == Environment.Status.AVAILABLE:
        nexts.append(max(deadline, now))
    if nexts and environment.status == Environment.Status.AVAILABLE:
        text += f"; next at {min(nexts).astimezone(zone):%Y-%m-%d %H:%M %Z}"
    if state is not None and state.opted_out:  # an opt-out the policies no longer allow
        text += " (your opt-out is not allowed here any more)"
    return text[:1].upper() + text[1:] + "."
