"""Platform admins' pages: the leavers report, deactivating (and reactivating) a person, the SCIM
tokens."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from identity.models import Departure, Handover, ScimToken
from identity.offboarding import AlreadyInactive, person_deactivate, person_reactivate
from identity.scim_auth import scim_token_create, scim_token_revoke
from portal.http import request_user
from portal.models import User

REPORT_SIZE = 200


def _admin(request: HttpRequest, *, auditor_too: bool = False) -> User:
    user = request_user(request)
    if not (user.is_catalog_admin or (auditor_too and user.is_auditor)):
        raise PermissionDenied("Only platform admins may open this page.")
    return user


def _report(request: HttpRequest, *, status: int = 200, error: str = "",
            username: str = "", reason: str = "", reactivate_error: str = "") -> HttpResponse:
    user = _admin(request, auditor_too=True)
    departures = (Departure.objects.select_related("person", "project")
                  .prefetch_related(Prefetch("handovers", queryset=Handover.objects
                                             .select_related("environment", "new_owner")))
                  [:REPORT_SIZE])
    return render(request, "identity/leavers.html", {
        "departures": departures, "can_deactivate": user.is_catalog_admin, "error": error,
        "username": username, "reason": reason, "reactivate_error": reactivate_error},
        status=status)


@login_required
@require_GET
def leavers_report(request: HttpRequest) -> HttpResponse:
    return _report(request)


@login_required
@require_POST
def person_deactivate_view(request: HttpRequest) -> HttpResponse:
    """A platform admin deactivates a person (a leaver the IdP has not told the portal about)."""
    admin = _admin(request)
    username = request.POST.get("username", "").strip()
    reason = request.POST.get("reason", "").strip()
    error = ""
    person = User.objects.filter(username=username).first() if username else None
    if person is None:
        error = "No person with that username."
    elif person.pk == admin.pk:
        error = "You cannot deactivate yourself."
    elif not reason:
        error = "Say why (it goes in the audit trail)."
    elif request.POST.get("confirm") != "yes":
        error = "Confirm the deactivation: it ends their access and hands over their environments."
    if error:
        return _report(request, status=400, error=error, username=username, reason=reason)
    assert person is not None
    try:
        person_deactivate(user=person, source="portal", actor=admin, reason=reason,
                          request=request)
    except AlreadyInactive:
        return _report(request, status=400, error=f"{username} is already deactivated.",
                       username=username, reason=reason)
    return redirect("identity:leavers_report")


@login_required
@require_POST
def person_reactivate_view(request: HttpRequest) -> HttpResponse:
    """A platform admin lets a deactivated person sign in again (a rehire, an undone mistake):
    what was handed over stays handed over (``person_reactivate``)."""
    admin = _admin(request)
    username = request.POST.get("username", "").strip()
    person = User.objects.filter(username=username).first() if username else None
    error = ""
    if person is None:
        error = "No person with that username."
    elif request.POST.get("confirm") != "yes":
        error = "Confirm the reactivation: they may sign in again."
    elif not person_reactivate(user=person, source="portal", actor=admin, request=request):
        error = f"{username} is active already."
    if error:
        return _report(request, status=400, reactivate_error=error)
    return redirect("identity:leavers_report")


@login_required
@require_http_methods(["GET", "POST"])
def scim_tokens(request: HttpRequest) -> HttpResponse:
    """List the SCIM tokens; POST makes one, whose key this answer shows once."""
    admin = _admin(request)
    key, error, status = "", "", 200
    if request.method == "POST":
        try:
            _, key = scim_token_create(name=request.POST.get("name", ""), actor=admin,
                                       request=request)
        except ValueError as exc:
            error, status = str(exc), 400
    response = render(request, "identity/scim_tokens.html", {
        "tokens": ScimToken.objects.all()[:100], "key": key, "error": error}, status=status)
    response["Cache-Control"] = "no-store"  # the key is on it
    return response


@login_required
@require_POST
def scim_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin(request)
    scim_token_revoke(token=get_object_or_404(ScimToken, pk=pk), actor=admin, request=request)
    return redirect("identity:scim_tokens")
