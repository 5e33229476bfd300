"""The new request page (``approvals:request_new``): the form for a new environment or a change.

Split from ``approvals.views`` (the other approval pages) because it is the one page with a
flow of its own, in steps: what the query string picks (``form_choice``), where the form starts
(``form_start``, ``form_initial``), the two forms with their price estimate (``form_page``), and
the submit (``form_submit``). Thin like the other views: selectors find what the user may see
(else 404) and ``request_submit`` does the work; a refusal re-renders the form with the reasons.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from approvals.errors import RequestInvalid
from approvals.form_start import (
    FormStart,
    request_own,
    values_from_product_page,
    values_from_request,
)
from approvals.forms import TAG_FIELD_PREFIX, RequestDetailsForm
from approvals.models import Request
from approvals.services import (
    IDEMPOTENCY_KEY_MAX,
    EnvironmentFacts,
    IdempotencyKeyReused,
    environment_current,
    request_submit,
)
from catalog.forms import ProductRequestForm
from catalog.leases import lease_terms
from catalog.models import Product, ProductVersion
from catalog.parameters import EffectiveParameter, parameters_effective
from catalog.resource_choices import parameters_offered
from catalog.selectors import (
    cost_estimate,
    prices_for_region,
    product_for_user,
    projects_for_product,
    version_default,
    version_for_form,
    versions_requestable,
)
from portal.http import request_user
from portal.models import Project, User

TEMPLATE = "approvals/request_form.html"
IDEMPOTENCY_FIELD = "idempotency_key"


@dataclass(frozen=True)
class FormChoice:
    """What the query string picks: the product, its version (None: none requestable), the
    projects it may go to, and the action (a new environment, or a change of the environment
    ``environment_ref``); ``context`` is the page's context so far."""

    product: Product
    version: ProductVersion | None
    projects: QuerySet[Project]
    action: str
    environment_ref: str | None
    context: dict[str, Any]


@dataclass(frozen=True)
class FormPage:
    """The page's two forms, bound to ``data`` when it was submitted (None: a fresh form), the
    parameters they offer and the template context with both."""

    version: ProductVersion
    parameters: list[EffectiveParameter]
    details: RequestDetailsForm
    parameter_form: ProductRequestForm
    data: QueryDict | None
    context: dict[str, Any]


def version_wanted(value: str | None) -> int | None:
    """``?version=``'s number, None when it is missing or not a number (the default applies)."""
    try:
        return int(value) if value else None
    except ValueError:
        return None


def form_choice(request: HttpRequest, *, user: User) -> FormChoice:
    """Read the query string: a product the user may see (404 otherwise), the version asked for
    when it is requestable (else the default), the user's projects for the product, and the
    action; a day-2 change arrives with ``?action=update&environment=<id>``."""
    product = product_for_user(user=user, pk=request.GET.get("product", ""))
    versions = versions_requestable(product=product)
    wanted = version_wanted(request.GET.get("version"))
    version = next((v for v in versions if v.pk == wanted), None) or version_default(
        product=product, versions=versions)
    projects = projects_for_product(user=user, product=product)
    action = request.GET.get("action") or Request.Action.CREATE
    environment_ref = (request.GET.get("environment") or "")[:64] or None
    context: dict[str, Any] = {"product": product, "versions": versions, "version": version,
                               "projects": projects, "action": action,
                               "environment_ref": environment_ref or ""}
    return FormChoice(product=product, version=version, projects=projects, action=action,
                      environment_ref=environment_ref, context=context)


def form_start(request: HttpRequest, *, user: User, carrying: bool, action: str,
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


def form_initial(request: HttpRequest, *, projects: QuerySet[Project],
                 current: EnvironmentFacts | None, start: FormStart | None) -> dict[str, Any]:
    """The details form's first values: ``?project=``, then a changed environment's project and
    tags, then what the form starts from (project, tags, justification) when it names them."""
    initial: dict[str, Any] = {"project": request.GET.get("project", "")}
    if current is not None:
        initial["project"] = next((p.slug for p in projects if p.pk == current.project_id),
                                  initial["project"])
        initial.update({TAG_FIELD_PREFIX + k: v for k, v in current.tags.items()})
    if start is not None:
        initial["project"] = start.project_slug or initial["project"]
        initial.update({TAG_FIELD_PREFIX + k: v for k, v in start.tag_choices.items()})
        if start.justification:
            initial["justification"] = start.justification
    return initial


def estimate_context(*, product: Product, parameters: list[EffectiveParameter],
                     data: QueryDict | None, starting: dict[str, Any]) -> dict[str, Any]:
    """The region's prices and the estimate for the values shown: posted, else the starting
    ones, else the defaults (the page's script recomputes it as the user types)."""
    prices = prices_for_region(region=product.aws_region)
    posted = data if data is not None else QueryDict()
    chosen = {p.key: (posted.get(p.key) or starting.get(p.key) or p.default or "")
              for p in parameters}
    return {
        "hidden_parameters": [p for p in parameters if p.hidden],
        "prices": {k: str(v) for k, v in prices.items()},
        "estimate": cost_estimate(region=product.aws_region, parameters=chosen, prices=prices,
                                  product=product),
    }


def form_page(request: HttpRequest, *, user: User, choice: FormChoice,
              chosen_version: ProductVersion) -> FormPage:
    """Build both forms: bound to the POST unless the product page only carries its values
    here to start from; a change starts from the environment's current values (only the
    requester's own), a new environment from the carried values or an earlier request."""
    product, projects, action = choice.product, choice.projects, choice.action
    version = version_for_form(version=chosen_version)
    # The product page's "Request this environment…" posts its values here to start from.
    carrying = (request.method == "POST" and request.POST.get("carry") == "product"
                and action == Request.Action.CREATE)
    data = request.POST if request.method == "POST" and not carrying else None
    current = environment_current(requester=user, environment_ref=choice.environment_ref) \
        if action == Request.Action.UPDATE and choice.environment_ref else None
    start = form_start(request, user=user, carrying=carrying, action=action, product=product,
                       version=version, parameters=parameters_effective(version=version),
                       projects=projects)
    initial = form_initial(request, projects=projects, current=current, start=start)
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
    starting = dict(current.parameters) if current is not None else (
        start.parameters if start is not None else {})
    parameter_form = ProductRequestForm(
        data, version=version, parameters=parameters, choice_labels=listing.choices,
        current=dict(current.parameters) if current is not None else None,
        carried=start.parameters if start is not None else None)
    context = {**choice.context, "listing_notes": sorted(set(listing.unavailable.values())),
               "start_notes": start.notes if start is not None else [],
               "version": version, "details": details, "parameter_form": parameter_form,
               **estimate_context(product=product, parameters=parameters, data=data,
                                  starting=starting),
               # One key per render of the form: a double click (or a resent POST) carries the
               # same key and gets the request the first submit made instead of a second one.
               "idempotency_key": uuid.uuid4().hex}
    return FormPage(version=version, parameters=parameters, details=details,
                    parameter_form=parameter_form, data=data, context=context)


def refusal_show(page: FormPage, error: RequestInvalid) -> None:
    """Put the service's reasons on the forms: a parameter's under its field, the rest on top;
    a refused idempotency key gets a fresh one, so the corrected form can be sent."""
    page.details.add_service_errors(error.errors)
    if "idempotency_key" in error.errors:
        page.context["idempotency_key"] = uuid.uuid4().hex
    for key, field_messages in (error.errors.get("parameters") or {}).items():
        for message in field_messages:
            page.parameter_form.add_error(key if key in page.parameter_form.fields else None,
                                          message)


def form_submit(request: HttpRequest, *, user: User, choice: FormChoice,
                page: FormPage) -> HttpResponse:
    """Validate both forms and submit the request; its page on success (also for a resent
    form: the first submit's request), else the form again with the reasons (4xx)."""
    posted_key = request.POST.get(IDEMPOTENCY_FIELD, "")
    # After a refusal nothing was stored under the key, so the corrected form resends it.
    page.context["idempotency_key"] = (posted_key[:IDEMPOTENCY_KEY_MAX]
                                       or page.context["idempotency_key"])
    details, parameter_form = page.details, page.parameter_form
    details_ok = details.is_valid()
    parameters_ok = parameter_form.is_valid()
    if not (details_ok and parameters_ok):
        return render(request, TEMPLATE, page.context, status=400)
    try:
        submitted = request_submit(
            requester=user, project_slug=details.cleaned_data["project"],
            product_id=choice.product.pk, version_id=page.version.pk,
            parameters={p.key: parameter_form.locked.get(p.key, request.POST.get(p.key, ""))
                        for p in page.parameters if not p.hidden},
            tag_choices=details.tag_choices(), action=choice.action,
            environment_ref=choice.environment_ref,
            justification=details.cleaned_data["justification"],
            lease_days=details.cleaned_data.get("lease_days"),
            idempotency_key=posted_key, http_request=request,
        )
    except RequestInvalid as exc:
        refusal_show(page, exc)
        return render(request, TEMPLATE, page.context, status=400)
    except IdempotencyKeyReused as exc:
        # A form sent again with other values (the back button, then edits): the first
        # request stands; this render gets a fresh key, so submitting it makes a new one.
        details.add_error(None, f"This form was already submitted (request "
                                f"{exc.existing.reference}) with other values; nothing new "
                                "was submitted. Check the values and submit again to make "
                                "another request.")
        page.context["idempotency_key"] = uuid.uuid4().hex
        return render(request, TEMPLATE, page.context, status=exc.status_code)
    created = submitted.request
    if submitted.created:
        messages.success(request, f"Request {created.reference} submitted: "
                                  f"{created.get_status_display()}.")
    else:
        messages.info(request, "This form was already submitted: here is the request "
                               "it made (nothing was submitted twice).")
    return redirect("approvals:request_detail", pk=created.pk)


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    """The form (GET, or a POST carrying the product page's values), or its submit (POST).
    Without a requestable version or a project to put it in, the page says so (400 to a POST)."""
    user = request_user(request)
    choice = form_choice(request, user=user)
    if choice.version is None or not choice.projects.exists():
        return render(request, TEMPLATE, choice.context,
                      status=400 if request.method == "POST" else 200)
    page = form_page(request, user=user, choice=choice, chosen_version=choice.version)
    if page.data is None:
        return render(request, TEMPLATE, page.context)
    return form_submit(request, user=user, choice=choice, page=page)
