"""The approver's out-of-office page: name a delegate for a date range, end one early."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from approvals.errors import ApprovalError, DelegationInvalid
from approvals.forms import DelegationForm
from approvals.selectors import (
    delegation_for_user,
    delegations_for_user,
    delegations_to_user,
    may_approve,
)
from approvals.services import delegation_create, delegation_end
from portal.http import request_user
from portal.models import User


def _page(request: HttpRequest, *, user: User, form: DelegationForm, status: int = 200,
          error: str = "") -> HttpResponse:
    return render(request, "approvals/delegations.html", {
        "form": form, "error": error, "today": timezone.localdate(),
        "given": delegations_for_user(user=user)[:100],
        "received": delegations_to_user(user=user)[:100],
    }, status=status)


def _approver(request: HttpRequest) -> User:
    """Only someone who can approve has anything to delegate: 403 for anyone else."""
    user = request_user(request)
    if not may_approve(user=user):
        raise PermissionDenied("Only approvers can name a delegate.")
    return user


@login_required
@require_http_methods(["GET", "POST"])
def delegations(request: HttpRequest) -> HttpResponse:
    user = _approver(request)
    if request.method != "POST":
        return _page(request, user=user, form=DelegationForm())
    form = DelegationForm(request.POST)
    if not form.is_valid():
        return _page(request, user=user, form=form, status=400)
    try:
        created = delegation_create(
            delegator=user, delegate_username=form.cleaned_data["delegate"],
            starts_on=form.cleaned_data["starts_on"], ends_on=form.cleaned_data["ends_on"],
            reason=form.cleaned_data["reason"], http_request=request)
    except DelegationInvalid as exc:
        form.add_service_errors(exc.errors)
        return _page(request, user=user, form=form, status=exc.status_code)
    messages.success(request, f"{created.delegate.display_name} decides for you from "
                              f"{created.starts_on:%Y-%m-%d} to {created.ends_on:%Y-%m-%d}.")
    return redirect("approvals:delegations")


@login_required
@require_POST
def delegation_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    delegation = delegation_for_user(user=user, pk=pk)
    try:
        delegation_end(delegation=delegation, user=user, http_request=request)
    except ApprovalError as exc:
        return _page(request, user=user, form=DelegationForm(), status=exc.status_code,
                     error=exc.message)
    messages.success(request, "Delegation ended.")
    return redirect("approvals:delegations")
