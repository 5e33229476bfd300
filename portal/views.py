"""Pages of the portal shell: sign-in, sign-out, dashboard, audit trail, API token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from allauth.socialaccount.models import SocialApp
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.audit_actions import audit_action_choices
from portal.audit_rows import audit_rows
from portal.csv_stream import csv_lines
from portal.keyset import keyset_page
from portal.middleware import client_ip
from portal.models import AuditEvent, User
from portal.saml_config import SAML_APP_SLUG
from portal.saml_views import SLO_SESSION_KEY, body_too_large, saml_logout_url
from portal.selectors import (
    api_token_for_user,
    audit_events_for_user,
    failed_emails_for_user,
    local_sign_in_locked,
    memberships_and_manager,
)
from portal.services import api_token_rotate, audit_record
from portal.sso import saml_metadata_problem
from portal.widgets import DateInputInOnePass, SelectInOnePass, TextInputInOnePass
from portal.worker_health import worker_last_answer, worker_problem


def _saml_configured() -> bool:
    apps = settings.SOCIALACCOUNT_PROVIDERS.get("saml", {}).get("APPS", [])
    return bool(apps) or SocialApp.objects.filter(provider="saml").exists()


class LocalLoginForm(forms.Form):
    username = forms.CharField(max_length=150)
    password = forms.CharField(widget=forms.PasswordInput)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("dashboard")


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """SSO first; username/password only where PORTAL_LOCAL_LOGIN is on."""
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    if request.method == "POST" and body_too_large(request):
        return HttpResponse("Request body too large.", status=413, content_type="text/plain")
    form = LocalLoginForm(request.POST or None) if settings.PORTAL_LOCAL_LOGIN else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Username and password sign-in is disabled; use SSO.")
        if form.is_valid() and local_sign_in_locked(
            username=form.cleaned_data["username"], source_ip=client_ip(request)
        ):
            audit_record(action="auth.sign_in_locked", request=request,
                         actor_username=form.cleaned_data["username"][:150],
                         data={"provider": "local"})
            form.add_error(None, "Too many failed attempts. Try again later or use SSO.")
        elif form.is_valid():
            user = authenticate(
                request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
            if user is not None:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect(_safe_next(request))
            form.add_error(None, "Unknown username or wrong password.")
    sso_url = None
    if _saml_configured():
        sso_url = reverse("saml_login", kwargs={"organization_slug": SAML_APP_SLUG})
    return render(
        request,
        "portal/sign_in.html",
        {"form": form, "sso_url": sso_url, "next": _safe_next(request)},
        status=400 if form is not None and form.errors else 200,
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """End the portal session and, where the IdP has a logout endpoint, the IdP's session too."""
    slo = request.session.get(SLO_SESSION_KEY)
    idp_logout = saml_logout_url(request, slo) if isinstance(slo, dict) else None
    logout(request)
    if idp_logout:
        return redirect(idp_logout)
    messages.info(request, "You are signed out.")
    return redirect("account_login")


@require_GET
def account_inactive(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/account_inactive.html", status=403)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    memberships, manager = memberships_and_manager(user=user)
    return render(
        request,
        "portal/dashboard.html",
        {"memberships": memberships, "manager": manager,
         "failed_emails": failed_emails_for_user(user=user)},
    )


class AuditFilterForm(forms.Form):
    # A list of the known actions (a family entry filters on its prefix); any other prefix typed
    # into the URL still filters, and stays shown as an option.
    action = forms.CharField(required=False, max_length=80, widget=SelectInOnePass)
    # The inputs' markup is written without Django's widget templates (issue 16).
    actor = forms.CharField(required=False, max_length=150, widget=TextInputInOnePass)
    project = forms.SlugField(required=False, max_length=60, widget=TextInputInOnePass)
    object = forms.CharField(required=False, max_length=100, widget=TextInputInOnePass)
    since = forms.DateField(required=False, widget=DateInputInOnePass(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=DateInputInOnePass(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = str(self.data.get("action", "")) if self.is_bound else ""
        widget = self.fields["action"].widget
        assert isinstance(widget, SelectInOnePass)
        widget.choices = audit_action_choices(current=current[:80])


def _filtered_audit_events(request: HttpRequest) -> tuple[AuditFilterForm, QuerySet[AuditEvent]]:
    form = AuditFilterForm(request.GET or None)
    values: dict[str, str | date | None] = {}
    if form.is_bound and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if v}
    events = audit_events_for_user(
        user=request.user,  # type: ignore[arg-type]
        action=str(values.get("action", "")),
        actor=str(values.get("actor", "")),
        project=str(values.get("project", "")),
        obj=str(values.get("object", "")),
        since=values.get("since"),  # type: ignore[arg-type]
        until=values.get("until"),  # type: ignore[arg-type]
    )
    return form, events


AUDIT_PAGE_SIZE = 50
AUDIT_PAGE_CAP = 100  # pages' worth of rows counted: beyond, the count reads "more than"
BAD_CURSOR = "That page link is not valid (changed, or cut short); here are the newest events."


@login_required
@require_GET
def audit_event_list(request: HttpRequest) -> HttpResponse:
    """Keyset pages (``?older=`` / ``?newer=`` signed cursors, ``portal.keyset``), no OFFSET."""
    form, events = _filtered_audit_events(request)
    page = keyset_page(events, older=request.GET.get("older"), newer=request.GET.get("newer"),
                       size=AUDIT_PAGE_SIZE, count_cap=AUDIT_PAGE_SIZE * AUDIT_PAGE_CAP)
    query = request.GET.copy()
    for key in ("older", "newer", "page"):
        query.pop(key, None)
    bad_filter = form.is_bound and bool(form.errors)
    return render(
        request,
        "portal/audit_event_list.html",
        {"form": form, "page": page, "rows": audit_rows(page), "query": query.urlencode(),
         "cursor_error": BAD_CURSOR if page.invalid else ""},
        status=400 if bad_filter or page.invalid else 200,
    )


@login_required
@require_GET
def audit_event_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """CSV export of the filtered trail, streamed so a year of events does not sit in memory."""
    form, events = _filtered_audit_events(request)
    if form.is_bound and form.errors:
        return HttpResponse("Invalid filter: " + form.errors.as_text(), status=400)
    audit_record(action="audit.exported", request=request, data={"filters": request.GET.dict()})
    # Every hashed column is in, so `manage.py audit_verify --file` can check the chain offline.
    header = ["id", "at", "actor", "actor_id", "action", "object_type", "object_id", "object",
              "project", "project_id", "source_ip", "request_id", "data", "prev_hash", "hash"]

    # ?bom=1 starts the file with a byte-order mark: Excel then reads it as UTF-8, not ANSI.
    bom = request.GET.get("bom", "") in {"1", "true"}

    # Plain tuples, not model instances (issue 16: a model instance and its project per event
    # were most of the export's time at 500,000 events); `values_list` gives what the instance's
    # attributes gave: the aware `at`, the decoded `data`, None for a missing project or actor.
    columns = ("pk", "at", "actor_username", "actor_id", "action", "object_type", "object_id",
               "object_repr", "project__slug", "project_id", "source_ip", "request_id", "data",
               "prev_hash", "hash")

    def cells() -> Iterator[tuple[object, ...]]:
        yield tuple(header)
        for (pk, at, actor, actor_id, action, object_type, object_id, object_repr, slug,
             project_id, source_ip, request_id, data, prev_hash, hash_) in (
                events.values_list(*columns).iterator(chunk_size=2000)):
            yield (pk, at.isoformat(), actor, actor_id or "", action, object_type, object_id,
                   object_repr, slug or "", project_id or "", source_ip or "", request_id,
                   json.dumps(data, sort_keys=True), prev_hash, hash_)

    def rows() -> Iterator[str]:
        if bom:
            yield "\ufeff"
        yield from csv_lines(cells())

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    return response


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def api_token(request: HttpRequest) -> HttpResponse:
    """Issue or rotate the caller's API token; the key is shown once, right after rotation."""
    user: User = request.user  # type: ignore[assignment]
    new_key = None
    if request.method == "POST":
        new_key = api_token_rotate(user=user, request=request)
    token = api_token_for_user(user=user)
    return render(request, "portal/api_token.html", {
        "new_key": new_key, "token": token, "has_token": token is not None,
        "lifetime_days": settings.PORTAL_API_TOKEN_DAYS,
    })


def healthz(request: HttpRequest) -> HttpResponse:
    """``ok``, or ``degraded: <why>`` while the IdP metadata URL is down.

    Still a 200: restarting or unrouting the portal would not bring the IdP back, and would take
    break-glass sign-in and open sessions down with it. Monitors alert on the body.
    """
    problem = saml_metadata_problem()
    return HttpResponse(f"degraded: {problem}" if problem else "ok", content_type="text/plain")


@require_GET
@never_cache
def healthz_workers(request: HttpRequest) -> HttpResponse:
    """``ok`` while a Celery worker ran the heartbeat recently; 503 with the reason otherwise.

    For monitors, not for the container HEALTHCHECK or a load balancer: the web still works
    without a worker, and restarting it would not bring one back. One indexed query, no broker.
    """
    problem = worker_problem()
    if problem:
        return HttpResponse(problem, status=503, content_type="text/plain")
    last = worker_last_answer()
    assert last is not None
    return HttpResponse(f"ok: a worker answered at {last.isoformat()}", content_type="text/plain")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on pages that name no icon (the admin, the API docs):
    the static icon's (hashed) address, resolved at request time as the manifest is built."""
    return HttpResponsePermanentRedirect(static("portal/favicon.svg"))
