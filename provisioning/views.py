"""HTML pages of environments: my environments, one environment, actions, launch, admin list."""

from __future__ import annotations

import html
import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.http import request_user as _user
from portal.http import response_no_store as _no_store
from portal.models import Project
from provisioning import actuals, lifecycle, list_rows, metering, selectors, services
from provisioning.environment_read import environment_read_for_user, environment_requests_read
from provisioning.hooks import environment_notes
from provisioning.launch import LaunchRefused, environment_launch, launch_refuse
from provisioning.live_views import timeline_context
from provisioning.models import Environment
from provisioning.my_environments_read import my_environments_read
from provisioning.studio_idle import studio_idle_in_force

# Statuses in which the "Open" button is shown (stopped notebooks are started first).
OPENABLE = (Environment.Status.AVAILABLE, Environment.Status.STOPPED,
            Environment.Status.STARTING)
CHANGEABLE = (Environment.Status.AVAILABLE, Environment.Status.STOPPED)


def environment_json(environment: Environment) -> dict[str, Any]:
    return {
        "id": str(environment.pk),
        "name": environment.provisioned_product_name,
        "status": environment.status,
        "status_label": list_rows.STATUS_LABELS.get(environment.status, environment.status),
        "status_message": environment.status_message,
        "openable": environment.launchable and environment.status in OPENABLE,
        "stoppable": bool(environment.notebook_instance_name)
        and environment.status == Environment.Status.AVAILABLE,
        "startable": bool(environment.notebook_instance_name)
        and environment.status == Environment.Status.STOPPED,
        # Shown in place as the status settles (the page renders both, hidden while busy); who
        # may use them is the page's business (owner; owner or platform admin).
        "changeable": environment.status in CHANGEABLE,
        "terminable": environment.status in lifecycle.TERMINABLE,
        "updated_at": environment.updated_at.isoformat(),
    }


@login_required
@require_GET
def environment_list(request: HttpRequest) -> HttpResponse:
    """The user's environments; terminated ones only with ``?terminated=show``."""
    show_terminated = request.GET.get("terminated") == "show"
    user, now = _user(request), timezone.now()
    if show_terminated:
        listed: Any = selectors.environments_owned_by(user=user, terminated=True).select_related(
            None).select_related("origin_request", "product", "version", "project").only(
            *list_rows.MY_LIST_FIELDS)
        month_to_date = metering.user_month_to_date(user, now)
    else:
        # One read for the list and its month-to-date figure: the live environments (the list)
        # and those terminated this month (metered too), in the list's order (issue 16: the
        # count, the page and the metered rows were three reads of nearly the same rows), by a
        # statement compiled once.
        read = my_environments_read(user=user, now=now)
        listed = [e for e in read if e.status != Environment.Status.TERMINATED]
        month_to_date = metering.rows_month_to_date(read, now)
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    rows = [{"environment": e, "state": environment_json(e)} for e in page]
    return render(request, "provisioning/environment_list.html", {
        "page": page, "rows": rows, "show_terminated": show_terminated,
        "table_rows": list_rows.my_environment_rows(rows, csrf_token=get_token(request)),
        "month_to_date": month_to_date,
        "page_query": "terminated=show&" if show_terminated else ""})


@login_required
@require_GET
@never_cache
def environment_status(request: HttpRequest) -> JsonResponse:
    """Statuses for the live updates of the list and detail pages (scoped like the pages)."""
    environments = selectors.environments_for_user(user=_user(request))
    wanted = [_uuid(value) for value in request.GET.getlist("id")[:100]]
    if wanted:
        environments = environments.filter(pk__in=[w for w in wanted if w])
    else:
        environments = environments.filter(owner=_user(request))
    return JsonResponse({"environments": [environment_json(e) for e in environments[:200]]})


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@login_required
@require_GET
def environment_detail(request: HttpRequest, pk: str) -> HttpResponse:
    user = _user(request)
    # Read through statements compiled once (provisioning.environment_read; issue 16).
    environment = environment_read_for_user(user=user, pk=pk)
    parameters = selectors.environment_parameters(environment=environment)
    return render(request, "provisioning/environment_detail.html", {
        **timeline_context(environment),
        "is_owner": environment.owner_id == user.pk,
        "can_terminate": environment.owner_id == user.pk or user.is_catalog_admin,
        "can_open": environment.launchable and environment.status in OPENABLE,
        "state": environment_json(environment),
        "change_url": _change_url(environment),
        "again_url": _again_url(environment) if environment.owner_id == user.pk else "",
        "request_url": reverse("approvals:request_detail", args=[environment.origin_request_id]),
        "parameters": parameters,
        "runs": _runs(parameters),
        "cost": metering.environment_cost_so_far(environment),
        "actuals": actuals.environment_actuals(environment),
        "idle": studio_idle_in_force(environment),
        "notes": environment_notes(environment, user),
        "requests": environment_requests_read(environment=environment),
    })


# The parameters that say what a SageMaker environment runs on (the demo catalog's and AWS's
# sample templates' names), shown first on its page; the full list follows them.
RUNS_ON = (("InstanceType", "Instance type", ""), ("VolumeSizeInGB", "Volume", " GB"))


def _runs(parameters: list[selectors.ParameterShown]) -> list[tuple[str, str]]:
    """(label, value) of the ``RUNS_ON`` parameters the environment has (masked if secret)."""
    values = {p.key: p for p in parameters}
    return [(label, values[key].value if values[key].secret else f"{values[key].value}{unit}")
            for key, label, unit in RUNS_ON if key in values and values[key].value]


def _again_url(environment: Environment) -> str:
    """A failed environment's "request again with these values": a new request form that
    starts from its origin request's values (the form leaves secrets and held names out)."""
    if environment.status != Environment.Status.FAILED:
        return ""
    return (f"{reverse('approvals:request_new')}?product={environment.product_id}"
            f"&version={environment.version_id}&project={environment.project.slug}"
            f"&again={environment.origin_request_id}")


def _change_url(environment: Environment) -> str:
    """Where a change request for this environment starts (the approvals request form); the
    page shows the link while the environment is ``changeable``, and hides it otherwise."""
    if environment.status == Environment.Status.TERMINATED:
        return ""
    base = reverse("approvals:request_new")
    return (f"{base}?product={environment.product_id}&project={environment.project.slug}"
                     f"&action=update&environment={environment.pk}")


def _action(request: HttpRequest, pk: str, run: Any) -> HttpResponse:
    user = _user(request)
    environment = selectors.environment_for_user(user=user, pk=pk)
    try:
        run(environment=environment, user=user)
    except services.InvalidTransition as exc:
        messages.error(request, str(exc))
    except PermissionDenied as exc:
        return render(request, "403.html", {"exception": str(exc)}, status=403)
    return redirect("provisioning:environment_detail", pk=environment.pk)


@login_required
@require_POST
def environment_stop(request: HttpRequest, pk: str) -> HttpResponse:
    return _action(request, pk, lambda **kw: lifecycle.environment_stop(
        **kw, http_request=request))


@login_required
@require_POST
def environment_start(request: HttpRequest, pk: str) -> HttpResponse:
    return _action(request, pk, lambda **kw: lifecycle.environment_start(
        **kw, http_request=request))


@login_required
@require_POST
def environment_terminate(request: HttpRequest, pk: str) -> HttpResponse:
    confirmed = request.POST.get("confirm") == "yes"
    return _action(request, pk, lambda **kw: lifecycle.environment_terminate(
        **kw, confirm=confirmed, http_request=request))



@login_required
@require_POST
def environment_open(request: HttpRequest, pk: str) -> HttpResponse:
    """POST "Open": checks, presign, 302 to the URL (never stored, logged or cached)."""
    user = _user(request)
    try:
        environment = selectors.environment_for_user(user=user, pk=pk)
    except Http404:
        # Out of scope is a 404 as everywhere, but a launch attempt is still audited.
        launch_refuse(environment=None, user=user, http_request=request, reason="not_owner",
                      message="Not your environment.", environment_ref=str(pk)[:64])
        raise
    try:
        launch = environment_launch(environment=environment, user=user, http_request=request)
    except LaunchRefused as refused:
        return _no_store(render(request, "provisioning/launch_refused.html",
                                {"environment": environment, "message": refused.message},
                                status=refused.status))
    if launch.waiting:
        # No secret here, and the page POSTs its Open form (by itself once the notebook is in
        # service, or by its button): same-origin, so the POST carries the real origin.
        return _no_store(render(request, "provisioning/launch_waiting.html", {
            "environment": environment, "state": environment_json(environment)}),
            referrer="same-origin")
    return _no_store(HttpResponseRedirect(launch.url))


@login_required
@require_GET
def admin_environment_list(request: HttpRequest) -> HttpResponse:
    filters = {key: request.GET.get(key, "").strip()[:100]
               for key in ("project", "owner", "status", "product")}
    environments = selectors.environments_for_admin(user=_user(request), **filters)
    # Counted on the environments alone (the count of a ``.values()`` read would keep its
    # joins), then the page read as the columns its rows show (list_rows.ADMIN_LIST_VALUES).
    page = Paginator(environments, 50).get_page(request.GET.get("page"))
    bottom = (page.number - 1) * page.paginator.per_page
    rows = environments.values(*list_rows.ADMIN_LIST_VALUES)[
        bottom:bottom + page.paginator.per_page]
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return render(request, "provisioning/admin_environment_list.html", {
        "page": page, "filters": filters, "query": query,
        "table_rows": list_rows.admin_environment_rows(rows),
        # The drop-downs: 200 projects and 300 products, loaded whole and rendered by a template
        # loop, were a good part of the page (issue 16): their values and names only, as HTML.
        "status_options": _options(Environment.Status.choices, selected=filters["status"]),
        "project_options": _options(Project.objects.order_by("slug").values_list("slug", "name"),
                                    selected=filters["project"]),
        "product_options": _options(selectors.products_with_environments()
                                    .values_list("pk", "name"), selected=filters["product"]),
    })


def _options(choices: Iterable[tuple[object, object]], *, selected: str) -> SafeString:
    """``<option>`` elements of (value, label) pairs, each escaped as ``{{ value }}`` is (Django's
    ``escape`` is ``html.escape``), the ``selected`` value marked. One loop of f-strings and
    ``html.escape``: ``format_html`` per option was a tenth of the page, and ``escape``'s
    lazy-argument check and ``SafeString`` on each of some 1,000 values still a fifth of what
    is left (issue 16)."""
    escape_text = html.escape
    written = []
    for value, label in choices:
        text = str(value)
        mark = " selected" if text == selected else ""
        written.append(f'<option value="{escape_text(text)}"{mark}>{escape_text(str(label))}'
                       '</option>')
    return mark_safe("".join(written))  # value and label are escaped
