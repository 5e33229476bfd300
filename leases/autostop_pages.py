"""The auto-stop on pages: the rules a requester gets (request form, product page), the
environment page's line and the owner's opt-out switch (a POST, CSRF-protected, audited)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from leases.autostop import AutoStopError, autostop_opt_out_set, autostop_text
from leases.models import AutoStop
from leases.schedules import policies_read, rules_for, rules_of
from portal.http import request_user
from portal.services import user_time_zone_set
from portal.time_zones import user_time_zone
from provisioning.models import Environment
from provisioning.selectors import environment_for_user


def autostop_rules_panel(request: HttpRequest, context: Mapping[str, Any]) -> str:
    """What stops the product's notebooks automatically, per project the requester may pick
    (in their own time zone, which is the owner's once they own it); "" when nothing does."""
    product = context.get("product")
    user = request_user(request)
    if product is None or not user.is_authenticated:
        return ""
    projects = list(context.get("projects") or [])
    index = policies_read(project_ids=[p.pk for p in projects], product_ids=[product.pk])
    zone = user_time_zone(user)
    rows = []
    for project in projects or [None]:
        rules = rules_of([index.by_project.get(getattr(project, "pk", None)),
                          index.by_product.get(product.pk)])
        if rules.active:
            rows.append({"project": project, "text": rules.text(zone),
                         "may_opt_out": rules.may_opt_out})
    if not rows:
        return ""
    return render_to_string("leases/_autostop_rules.html",
                            {"rows": rows, "zone": zone.key}, request=request)


def autostop_environment_panel(request: HttpRequest, context: Mapping[str, Any]) -> str:
    """The environment page's auto-stop card: the rules, the next stop, the owner's switch."""
    environment = context.get("environment")
    if not isinstance(environment, Environment) or not environment.notebook_instance_name:
        return ""
    rules = rules_for(environment)  # one query; one more when a rule applies
    if not rules.active:
        return ""
    user = request_user(request)
    state = AutoStop.objects.filter(pk=environment.pk).first()
    text = autostop_text(environment, rules=rules, state=state)
    opted_out = bool(state is not None and state.opted_out)
    is_owner = environment.owner_id == user.pk
    return render_to_string("leases/_autostop_environment.html", {
        "environment": environment, "text": text, "opted_out": opted_out, "is_owner": is_owner,
        "zone": user_time_zone(user).key, "own_zone": user.time_zone,
        "can_switch": is_owner and environment.status != Environment.Status.TERMINATED
        and (rules.may_opt_out or opted_out),
    }, request=request)


@login_required
@require_POST
def autostop_opt_out(request: HttpRequest, pk: str) -> HttpResponse:
    """The owner's switch: ``off=1`` opts out (where allowed), ``off=0`` switches it back on."""
    user = request_user(request)
    environment = environment_for_user(user=user, pk=pk)
    if environment.owner_id != user.pk:
        raise PermissionDenied("Only the environment's owner can change its auto-stop.")
    wanted = request.POST.get("off", "")
    if wanted not in ("0", "1"):
        messages.error(request, "Say whether the auto-stop is switched off (1) or on (0).")
        return redirect("provisioning:environment_detail", pk=environment.pk)
    try:
        autostop_opt_out_set(environment=environment, user=user, opted_out=wanted == "1",
                             http_request=request)
    except AutoStopError as exc:
        messages.error(request, str(exc))
        return redirect("provisioning:environment_detail", pk=environment.pk)
    messages.success(request, "Auto-stop switched off." if wanted == "1"
                     else "Auto-stop switched back on.")
    return redirect("provisioning:environment_detail", pk=environment.pk)


@login_required
@require_POST
def autostop_time_zone(request: HttpRequest) -> HttpResponse:
    """The signed-in person sets their time zone (the clock their auto-stop schedules run on);
    their environments' next stops are recomputed by the next sweep."""
    user = request_user(request)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = "/"
    try:
        changed = user_time_zone_set(user=user, name=request.POST.get("time_zone", "")[:100],
                                     http_request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    if changed:
        AutoStop.objects.filter(environment__owner=user).update(due_at=timezone.now())
        messages.success(request, f"Your time zone is now {user_time_zone(user).key}.")
    return redirect(back)
