"""Pages of the approval workflow: the request form, my requests, a request, the inbox.

Thin: selectors find what the user may see (else 404), services do the work, and a refused
action re-renders the page with the reason and the service's 4xx status.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from approvals import request_rows
from approvals.chain import ChainStep, request_chain, waiting_step
from approvals.change_preview import change_preview_for
from approvals.errors import AlreadyDecided, ApprovalError, RequestInvalid
from approvals.form_start import (
    FormStart,
    request_own,
    values_from_product_page,
    values_from_request,
)
from approvals.forms import TAG_FIELD_PREFIX, BulkApproveForm, DecisionForm, RequestDetailsForm
from approvals.inbox_count import inbox_count_keep
from approvals.inbox_rows import inbox_context
from approvals.links import EnvironmentLink, environment_links
from approvals.live_views import request_settled
from approvals.models import ApprovalTask, Decision, Request
from approvals.selectors import (
    REQUEST_RELATED,
    budget_share,
    decision_by,
    inbox_page,
    inbox_tasks,
    my_requests,
    request_audit_events,
    request_for_user,
    request_open_task_for,
    request_tasks,
    requester_history,
    task_for_user,
    waiting_tasks_prefetch,
)
from approvals.services import (
    IDEMPOTENCY_KEY_MAX,
    IdempotencyKeyReused,
    environment_current,
    request_approve,
    request_cancel,
    request_reject,
    request_submit,
)
from approvals.services import tasks_approve as tasks_approve_service
from approvals.spend import project_spend_picture
from catalog.forms import ProductRequestForm
from catalog.leases import lease_terms
from catalog.models import Product, ProductVersion
from catalog.parameters import EffectiveParameter, parameters_effective
from catalog.resource_choices import parameters_offered
from catalog.selectors import (
    cost_estimate,
    prices_for_region,
    product_for_user,
    products_for_user,
    projects_for_product,
    version_default,
    version_for_form,
    versions_requestable,
)
from portal.http import request_user as _user
from portal.live import poll_context
from portal.models import Project, User

PAGE_SIZE = 50
IDEMPOTENCY_FIELD = "idempotency_key"


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    page = Paginator(my_requests(user=user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    waiting_tasks_prefetch(rows)
    links = environment_links(requests=rows, user=user)
    shown = [RequestRow(request=r, waiting=waiting_step(request=r), environment=links.get(r.pk))
             for r in rows]
    return render(request, "approvals/request_list.html", {
        # The "Request an environment" list shows a name and a kind: nothing else is read.
        "page": page, "rows": shown, "table_rows": request_rows.request_rows(shown),
        "product_links": request_rows.product_links(
            products_for_user(user=user).only("pk", "name", "kind")[:50]),
    })


@dataclass(frozen=True)
class RequestRow:
    """One row of "My requests": the request, its waiting step (who decides next), and the
    environment it made or is about."""

    request: Request
    waiting: ChainStep | None
    environment: EnvironmentLink | None


@login_required
@require_GET
def request_by_reference(request: HttpRequest, reference: str) -> HttpResponse:
    """``/requests/REQ-1042/``: the request's page, for whoever may see it (else 404)."""
    found = request_for_user(user=_user(request), pk=reference)
    return redirect("approvals:request_detail", pk=found.pk)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    product = product_for_user(user=user, pk=request.GET.get("product", ""))
    versions = versions_requestable(product=product)
    wanted = _int_or_none(request.GET.get("version"))
    version = next((v for v in versions if v.pk == wanted), None) or version_default(
        product=product, versions=versions)
    projects = projects_for_product(user=user, product=product)
    # A day-2 change of an environment arrives with ?action=update&environment=<id>.
    action = request.GET.get("action") or Request.Action.CREATE
    environment_ref = (request.GET.get("environment") or "")[:64] or None
    context: dict[str, Any] = {"product": product, "versions": versions, "version": version,
                               "projects": projects, "action": action,
                               "environment_ref": environment_ref or ""}
    if version is None or not projects.exists():
        return render(request, "approvals/request_form.html", context, status=400 if
                      request.method == "POST" else 200)
    version = version_for_form(version=version)
    parameters = parameters_effective(version=version)
    # The product page's "Request this environment…" posts its values here to start from.
    carrying = (request.method == "POST" and request.POST.get("carry") == "product"
                and action == Request.Action.CREATE)
    data = request.POST if request.method == "POST" and not carrying else None
    # A change starts from the environment's current values (only the requester's own).
    current = environment_current(requester=user, environment_ref=environment_ref) \
        if action == Request.Action.UPDATE and environment_ref else None
    start = _form_start(request, user=user, carrying=carrying, action=action, product=product,
                        version=version, parameters=parameters, projects=projects)
    initial = {"project": request.GET.get("project", "")}
    if current is not None:
        initial["project"] = next((p.slug for p in projects if p.pk == current.project_id),
                                  initial["project"])
        initial.update({TAG_FIELD_PREFIX + k: v for k, v in current.tags.items()})
    if start is not None:
        initial["project"] = start.project_slug or initial["project"]
        initial.update({TAG_FIELD_PREFIX + k: v for k, v in start.tag_choices.items()})
        if start.justification:
            initial["justification"] = start.justification
    # A new environment picks its lease within the terms of the project shown first (the
    # service checks the chosen project's terms again).
    lease = lease_terms(product=product, project=next(
        (p for p in projects if p.slug == initial["project"]), projects.first())) \
        if action == Request.Action.CREATE else None
    details = RequestDetailsForm(data, projects=projects, product=product, prefix="req",
                                 initial=initial, lease=lease)
    # Subnets, VPCs, security groups and KMS keys: the project account's, as on the product page.
    wanted_project = str(request.POST.get("req-project") or initial["project"])
    # Apps above catalog may be stricter than the curation (guardrails): the stricter wins.
    parameters, listing = parameters_offered(version=version, project=projects.filter(
        slug=wanted_project).first() or projects.first())
    parameter_form = ProductRequestForm(
        data, version=version, parameters=parameters, choice_labels=listing.choices,
        current=dict(current.parameters) if current is not None else None,
        carried=start.parameters if start is not None else None)
    context["listing_notes"] = sorted(set(listing.unavailable.values()))
    context["start_notes"] = start.notes if start is not None else []
    prices = prices_for_region(region=product.aws_region)
    starting = dict(current.parameters) if current is not None else (
        start.parameters if start is not None else {})
    posted = data if data is not None else QueryDict()
    chosen = {p.key: (posted.get(p.key) or starting.get(p.key) or p.default or "")
              for p in parameters}
    context.update({
        "version": version, "details": details, "parameter_form": parameter_form,
        "hidden_parameters": [p for p in parameters if p.hidden],
        "prices": {k: str(v) for k, v in prices.items()},
        "estimate": cost_estimate(region=product.aws_region, parameters=chosen, prices=prices,
                                  product=product),
    })
    # One key per render of the form: a double click (or a resent POST) carries the same key
    # and gets the request the first submit made instead of a second one.
    context["idempotency_key"] = uuid.uuid4().hex
    if data is None:
        return render(request, "approvals/request_form.html", context)

    posted_key = request.POST.get(IDEMPOTENCY_FIELD, "")
    # After a refusal nothing was stored under the key, so the corrected form resends it.
    context["idempotency_key"] = posted_key[:IDEMPOTENCY_KEY_MAX] or context["idempotency_key"]
    status = 400
    details_ok = details.is_valid()
    parameters_ok = parameter_form.is_valid()
    if details_ok and parameters_ok:
        try:
            submitted = request_submit(
                requester=user, project_slug=details.cleaned_data["project"],
                product_id=product.pk, version_id=version.pk,
                parameters={p.key: parameter_form.locked.get(p.key, request.POST.get(p.key, ""))
                            for p in parameters if not p.hidden},
                tag_choices=details.tag_choices(), action=action, environment_ref=environment_ref,
                justification=details.cleaned_data["justification"],
                lease_days=details.cleaned_data.get("lease_days"),
                idempotency_key=posted_key, http_request=request,
            )
        except RequestInvalid as exc:
            details.add_service_errors(exc.errors)
            if "idempotency_key" in exc.errors:
                context["idempotency_key"] = uuid.uuid4().hex
            for key, field_messages in (exc.errors.get("parameters") or {}).items():
                for message in field_messages:
                    parameter_form.add_error(key if key in parameter_form.fields else None,
                                             message)
        except IdempotencyKeyReused as exc:
            # A form sent again with other values (the back button, then edits): the first
            # request stands; this render gets a fresh key, so submitting it makes a new one.
            details.add_error(None, f"This form was already submitted (request "
                                    f"{exc.existing.reference}) with other values; nothing new "
                                    "was submitted. Check the values and submit again to make "
                                    "another request.")
            context["idempotency_key"] = uuid.uuid4().hex
            status = exc.status_code
        else:
            created = submitted.request
            if submitted.created:
                messages.success(request, f"Request {created.reference} submitted: "
                                          f"{created.get_status_display()}.")
            else:
                messages.info(request, "This form was already submitted: here is the request "
                                       "it made (nothing was submitted twice).")
            return redirect("approvals:request_detail", pk=created.pk)
    return render(request, "approvals/request_form.html", context, status=status)


def _form_start(request: HttpRequest, *, user: User, carrying: bool, action: str,
                product: Product, version: ProductVersion, parameters: list[EffectiveParameter],
                projects: QuerySet[Project]) -> FormStart | None:
    """Where a new request's form starts: the product page's values it carries over, or those
    of the requester's own earlier request (``?again=<request>``); None: the catalog defaults."""
    if action != Request.Action.CREATE:
        return None
    if carrying:
        return values_from_product_page(data=request.POST, parameters=parameters,
                                        project=projects.first(), product=product,
                                        version=version)
    again = (request.GET.get("again") or "")[:64]
    source = request_own(user=user, ref=again, product=product) if again else None
    if source is None:
        return None
    return values_from_request(source=source, parameters=parameters, projects=projects,
                               product=product, version=version)


def _detail(request: HttpRequest, approval: Request, *, status: int = 200,
            error: str = "", decision_form: DecisionForm | None = None) -> HttpResponse:
    user = _user(request)
    secret = set(approval.version.parameters.filter(no_echo=True).values_list("key", flat=True))
    tasks = request_tasks(request=approval)
    context = {
        "req": approval,
        "chain": request_chain(request=approval, tasks=tasks),
        "environment": environment_links(requests=[approval], user=user).get(approval.pk),
        "parameters": [(k, "****" if k in secret else v)
                       for k, v in (approval.parameters or {}).items()],
        "events": request_audit_events(request=approval),
        "open_task": request_open_task_for(request=approval, user=user),
        "history": requester_history(request=approval),
        "budget_share": budget_share(request=approval),
        "spend": project_spend_picture(request=approval),
        "preview": change_preview_for(request=approval),
        "can_cancel": approval.requester_id == user.pk and approval.is_pending,
        "decision_form": decision_form or DecisionForm(),
        "error": error,
        **poll_context(live=not request_settled(approval)),  # the timeline's live region
    }
    return render(request, "approvals/request_detail.html", context, status=status)


@login_required
@require_GET
def request_detail(request: HttpRequest, pk: str) -> HttpResponse:
    return _detail(request, request_for_user(user=_user(request), pk=pk))


@login_required
@require_POST
def request_cancel_view(request: HttpRequest, pk: str) -> HttpResponse:
    approval = request_for_user(user=_user(request), pk=pk)
    try:
        request_cancel(request=approval, user=_user(request), http_request=request)
    except ApprovalError as exc:
        return _detail(request, approval, status=exc.status_code, error=exc.message)
    messages.success(request, "Request cancelled.")
    return redirect("approvals:request_detail", pk=approval.pk)


@login_required
@require_POST
def task_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    task = task_for_user(user=user, pk=pk)
    approval = task.request
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _detail(request, approval, status=400, error="Choose approve or reject.",
                       decision_form=form)
    comment = form.cleaned_data["comment"]
    try:
        if form.cleaned_data["verdict"] == Decision.Verdict.APPROVE:
            request_approve(task=task, approver=user, comment=comment, http_request=request)
        else:
            request_reject(task=task, approver=user, comment=comment, http_request=request)
    except AlreadyDecided as exc:
        recorded = decision_by(task=task, approver=user)
        if recorded is None:
            return _detail(request, approval, status=exc.status_code, error=exc.message,
                           decision_form=form)
        # A double-clicked Approve (or a resent POST): the first click's decision stands; show
        # it on the request page instead of an error. Nothing was decided twice.
        messages.info(request, f"Your decision on “{task.name}” was already recorded: "
                               f"{recorded.get_verdict_display().lower()} at "
                               f"{recorded.at:%Y-%m-%d %H:%M} UTC.")
        return redirect("approvals:request_detail", pk=approval.pk)
    except ApprovalError as exc:
        return _detail(request, approval, status=exc.status_code, error=exc.message,
                       decision_form=form)
    messages.success(request, "Decision recorded.")
    return redirect("approvals:inbox")


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    tasks = inbox_page(user=user, number=request.GET.get("page"), per_page=PAGE_SIZE)
    inbox_count_keep(request, user=user, count=tasks.paginator.count)
    return render(request, "approvals/inbox.html",
                  {**inbox_context(tasks), **poll_context(live=True, idle=True)})


@login_required
@require_POST
def inbox_bulk_approve(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    # The choices are the ids of the open tasks (one bare query), not the inbox page itself;
    # the chosen tasks are then read in one query and the page redirects once at the end.
    open_ids = list(inbox_tasks(user=user).values_list("pk", flat=True))
    form = BulkApproveForm(request.POST, task_ids=open_ids)
    if not form.is_valid():
        page = inbox_page(user=user, number=1, per_page=PAGE_SIZE)
        inbox_count_keep(request, user=user, count=page.paginator.count)
        return render(request, "approvals/inbox.html", {
                      **inbox_context(page, first_is_tasks=bool(form.errors)), "bulk_form": form,
                      **poll_context(live=True, idle=True)}, status=400)
    found = {task.pk: task for task in ApprovalTask.objects.filter(
        pk__in=form.cleaned_data["tasks"]).order_by().select_related(
            *(f"request__{name}" for name in REQUEST_RELATED))}
    chosen = [found[pk] for pk in dict.fromkeys(form.cleaned_data["tasks"]) if pk in found]
    results = tasks_approve_service(tasks=chosen, approver=user,
                                    comment=form.cleaned_data["comment"], http_request=request)
    approved = sum(1 for _, outcome in results if isinstance(outcome, Decision))
    if approved:
        messages.success(request, f"Approved {approved} request(s).")
    for task, outcome in results:
        if isinstance(outcome, ApprovalError):
            messages.error(request, f"{task.request.product.name} for "
                                    f"{task.request.requester.display_name}: {outcome.message}")
    return redirect("approvals:inbox")
