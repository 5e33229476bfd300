"""The lease page of an environment: its end and state, the one-click extension request (the
owner), pausing and resuming enforcement and shortening the lease (platform admins)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from approvals.errors import RequestInvalid
from approvals.models import Request
from approvals.services import request_create
from catalog.leases import lease_terms
from leases.models import Lease
from leases.services import (
    LeaseError,
    grace_days,
    lease_pause,
    lease_resume,
    lease_shorten,
    lease_state_text,
)
from portal.http import request_user as _user
from provisioning.models import Environment, EnvironmentEvent
from provisioning.selectors import environment_for_user


def _page(request: HttpRequest, environment: Environment, *, status: int = 200,
          errors: list[str] | None = None, days: Any = None, justification: str = "",
          pause_error: str = "", shorten_error: str = "") -> HttpResponse:
    user = _user(request)
    lease = Lease.objects.filter(pk=environment.pk).select_related("paused_by").first()
    terms = lease_terms(product=environment.product, project=environment.project)
    pending = Request.objects.filter(
        action=Request.Action.EXTEND, environment_ref=str(environment.pk),
        status=Request.Status.PENDING).order_by("-created_at").first()
    return render(request, "leases/lease_detail.html", {
        "environment": environment, "lease": lease, "terms": terms,
        "grace_days": grace_days(environment),
        "state_text": lease_state_text(lease, environment),
        "events": EnvironmentEvent.objects.filter(
            environment=environment, kind=EnvironmentEvent.Kind.LEASE).order_by("-at")[:50],
        "is_owner": environment.owner_id == user.pk,
        "can_extend": environment.owner_id == user.pk
        and environment.status != Environment.Status.TERMINATED
        and not (lease is not None and lease.terminated_at is not None),
        "pending": pending,
        "errors": errors or [], "days": days or terms.default_days,
        "justification": justification or f"Extend the lease of "
                                          f"{environment.provisioned_product_name}.",
        "pause_error": pause_error, "shorten_error": shorten_error,
    }, status=status)


@login_required
@require_GET
def lease_detail(request: HttpRequest, pk: str) -> HttpResponse:
    return _page(request, environment_for_user(user=_user(request), pk=pk))


@login_required
@require_POST
def lease_extend(request: HttpRequest, pk: str) -> HttpResponse:
    """One click: an ``extend`` request through the approval workflow (the owner's)."""
    user = _user(request)
    environment = environment_for_user(user=user, pk=pk)
    if environment.owner_id != user.pk:
        raise PermissionDenied("Only the environment's owner can request an extension.")
    days = request.POST.get("days", "")
    justification = request.POST.get("justification", "")
    try:
        created = request_create(
            requester=user, project_slug=environment.project.slug,
            product_id=environment.product_id, parameters={}, justification=justification,
            action=Request.Action.EXTEND, environment_ref=str(environment.pk),
            lease_days=days, http_request=request)
    except RequestInvalid as exc:
        errors = [str(m) for field in ("lease_days", "justification", "environment_ref",
                                       "project", "version") for m in exc.errors.get(field, [])]
        errors += [f"Tag {key}: {m}" if key else str(m)
                   for key, found in (exc.errors.get("tag_choices") or {}).items()
                   for m in found]
        return _page(request, environment, status=400, days=days[:6],
                     justification=justification[:4000],
                     errors=errors or ["The extension request is not valid."])
    messages.success(request, f"Extension requested: {created.get_status_display()}.")
    return redirect("approvals:request_detail", pk=created.pk)


@login_required
@require_POST
def lease_pause_view(request: HttpRequest, pk: str) -> HttpResponse:
    user = _user(request)
    environment = environment_for_user(user=user, pk=pk)
    try:
        if request.POST.get("resume"):
            lease_resume(environment=environment, admin=user, http_request=request)
            messages.success(request, "Lease enforcement resumed.")
        else:
            lease_pause(environment=environment, admin=user,
                        reason=request.POST.get("reason", ""), http_request=request)
            messages.success(request, "Lease enforcement paused.")
    except LeaseError as exc:
        return _page(request, environment, status=400, pause_error=str(exc))
    return redirect("leases:lease_detail", pk=environment.pk)


@login_required
@require_POST
def lease_shorten_view(request: HttpRequest, pk: str) -> HttpResponse:
    """A platform admin brings the end forward ("ends_at": a UTC date and time)."""
    user = _user(request)
    environment = environment_for_user(user=user, pk=pk)
    if not user.is_catalog_admin:
        raise PermissionDenied("Only platform admins can shorten a lease.")
    raw = request.POST.get("ends_at", "").strip()
    try:
        ends_at = datetime.fromisoformat(raw)
    except ValueError:
        return _page(request, environment, status=400,
                     shorten_error=f"{raw[:40]!r} is not a date and time (YYYY-MM-DD HH:MM).")
    if timezone.is_naive(ends_at):
        ends_at = ends_at.replace(tzinfo=UTC)  # the form says UTC
    try:
        lease_shorten(environment=environment, admin=user, ends_at=ends_at,
                      reason=request.POST.get("reason", ""), http_request=request)
    except LeaseError as exc:
        return _page(request, environment, status=400, shorten_error=str(exc))
    messages.success(request, f"Lease shortened: it ends {ends_at:%Y-%m-%d %H:%M} UTC.")
    return redirect("leases:lease_detail", pk=environment.pk)
