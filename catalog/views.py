"""Catalog pages: the requester's catalog and product page, and the platform admin's curation."""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.cards import catalog_cards_html
from catalog.catalog_read import CATALOG_PAGE_SIZE, catalog_first_page, catalog_products
from catalog.checks import product_flags
from catalog.estimates import catalog_card_estimates
from catalog.forms import (
    InstancePriceForm,
    ParameterOverrideForm,
    ProductCurationForm,
    ProductRequestForm,
)
from catalog.leases import lease_terms
from catalog.live_views import sync_runs_context
from catalog.models import InstancePrice, ParameterSpec, Product, ProductVersion, StoragePrice
from catalog.product_page import (
    product_read_for_user,
    projects_for_product_read,
    tag_options_read,
)
from catalog.resource_choices import parameters_offered
from catalog.selectors import (
    ProjectIdInvalid,
    cost_estimate,
    prices_for_region,
    product_for_admin,
    product_search,
    products_for_admin,
    project_for_product,
    version_requested_or_default,
    versions_newest_first,
    versions_requestable,
)
from catalog.services import (
    catalog_sync_request,
    instance_price_set,
    parameter_override_clear,
    parameter_override_set,
    product_update,
)
from portal.memo import memo_per_request
from portal.models import User
from portal.paging import CountInPagePaginator
from portal.widgets import SelectInOnePass, TextInputInOnePass


class CatalogFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search",
                        widget=TextInputInOnePass)
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *Product.Kind.choices],
                             widget=SelectInOnePass)  # no template per option (issue 16)


@login_required
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = CatalogFilterForm(request.GET or None)
    q = kind = ""
    if form.is_bound and form.is_valid():
        q, kind = form.cleaned_data["q"].strip(), form.cleaned_data["kind"]
    products = product_search(catalog_products(user=user), q=q, kind=kind)
    # The page and the catalog's count in one statement (a window count): a person's catalog
    # is a few hundred products at most; an unsearched catalog's first page, the one most
    # views show, through a statement compiled once (catalog.catalog_read; issue 16).
    first_page = None if q else partial(catalog_first_page, user=user, kind=kind)
    page = CountInPagePaginator(products, CATALOG_PAGE_SIZE,
                                first_page=first_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    estimates = catalog_card_estimates(products=list(page))
    cards = [(product, estimates.get(product.pk)) for product in page]
    return render(request, "catalog/product_list.html",
                  {"form": form, "page": page, "cards": cards,
                   "cards_html": catalog_cards_html(cards), "query": query.urlencode()},
                  status=400 if form.is_bound and form.errors else 200)


def _chosen_version(request: HttpRequest, product: Product,
                    among: list[ProductVersion] | None = None
                    ) -> tuple[list[ProductVersion], ProductVersion | None]:
    versions = versions_requestable(product=product, among=among)
    wanted = request.POST.get("version") or request.GET.get("version")
    return versions, version_requested_or_default(product=product, versions=versions,
                                                  requested=wanted)


@login_required
@require_http_methods(["GET", "POST"])
@memo_per_request  # the narrowing and the lease cap read the guardrails in force once
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Product page with the generated form; a POST validates (requests arrive with approvals)."""
    user: User = request.user  # type: ignore[assignment]
    # The product (with whether it has TagOptions of its own), its versions and their
    # parameters with the overrides: two statements (catalog.product_page; issue 16).
    read = product_read_for_user(user=user, pk=pk)
    product = read.product
    versions, version = _chosen_version(request, product, read.versions)
    context: dict[str, Any] = {"product": product, "versions": versions, "version": version,
                               "tag_options": tag_options_read(product=product,
                                                               own=read.own_tag_options),
                               # A list: the project choice, the default and the auto-stop
                               # panel read it from one query.
                               "projects": projects_for_product_read(user=user, product=product),
                               # The request form belongs to an app above catalog: the project
                               # wiring names it (settings.CATALOG_REQUEST_VIEW).
                               "request_form_url": reverse(settings.CATALOG_REQUEST_VIEW)}
    status = 200
    if version is None:
        if request.GET.get("version") or request.POST.get("version"):
            messages.error(request, "That version cannot be requested; showing the default.")
            return redirect("catalog:product_detail", pk=product.pk)
        return render(request, "catalog/product_detail.html", context)
    # The form is narrowed for the chosen project (the first one by default): the curation, the
    # project account's subnets, VPCs, security groups and KMS keys, and the guardrails of the
    # project's environment, as the request form and the validation narrow it.
    try:
        project = project_for_product(
            user=user, product=product, among=context["projects"],
            slug=request.POST.get("project") or request.GET.get("project"),
        ) or next(iter(context["projects"]), None)
    except ProjectIdInvalid as exc:
        context["project_error"] = str(exc)
        return render(request, "catalog/product_detail.html", context, status=400)
    context.update({"project": project,
                    "lease": lease_terms(product=product, project=project)})
    parameters, listing = parameters_offered(version=version, project=project,
                                             effective=read.parameters_effective(version))
    choices = listing.choices
    form = ProductRequestForm(request.POST or None, version=version, parameters=parameters,
                              choice_labels=choices)
    prices = prices_for_region(region=product.aws_region)
    chosen = {p.key: (p.default or "") for p in parameters}
    valid = None
    if request.method == "POST":
        valid = form.is_valid()
        chosen.update({k: str(v) for k, v in form.data.items() if k in chosen})
        if valid:
            chosen = form.parameter_values
        else:
            status = 400
    context.update({
        "form": form, "valid": valid,
        "hidden_parameters": [p for p in parameters if p.hidden],
        "estimate": cost_estimate(region=product.aws_region, parameters=chosen, prices=prices,
                                  product=product),
        "prices": {k: str(v) for k, v in prices.items()},
    })
    return render(request, "catalog/product_detail.html", context, status=status)


# --- Platform admins ----------------------------------------------------------------------------

def _admin(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not user.is_catalog_admin:
        raise PermissionDenied("Only platform admins manage the catalog.")
    return user


@login_required
@require_GET
def admin_product_list(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    products = products_for_admin(user=user).prefetch_related("visible_to_groups",
                                                              "visible_to_projects")
    page = Paginator(products, 50).get_page(request.GET.get("page"))
    return render(request, "catalog/admin_product_list.html",
                  {"page": page, **sync_runs_context(user)})


@login_required
@require_POST
def admin_sync(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    run = catalog_sync_request(actor=user, request=request)
    messages.info(request, f"Catalog sync #{run.pk} queued; its outcome appears below.")
    return redirect("catalog:admin_product_list")


def _override_forms(product: Product, data: Any = None,
                    bound_key: str | None = None) -> list[dict[str, Any]]:
    """One form per parameter key of the product's live versions (newest spec wins).

    ``data`` binds the form of ``bound_key`` only: the other rows of a page re-rendered after a
    refused save show what is saved, not the blanks a POST of another form leaves them."""
    specs: dict[str, ParameterSpec] = {}
    live = [v for v in product.versions.all() if v.retired_at is None]
    for version in reversed(versions_newest_first(live)):  # oldest first: the newest spec wins
        for spec in version.parameters.all():
            if spec.retired_at is None:
                specs[spec.key] = spec
    overrides = {o.key: o for o in product.overrides.all()}
    rows = []
    for key, spec in sorted(specs.items(), key=lambda item: (item[1].position, item[0])):
        override = overrides.get(key)
        initial: dict[str, Any] = {"key": key}
        if override:
            initial.update({"label": override.label, "help_text": override.help_text,
                            "hidden": override.hidden, "fixed_value": override.fixed_value,
                            "default": override.default or "",
                            "narrow": override.allowed_values is not None,
                            "on_change": override.on_change,
                            "allowed_values": override.allowed_values or []})
        form = ParameterOverrideForm(data if key == bound_key else None, initial=initial,
                                     aws_allowed=list(spec.allowed_values), prefix=f"p-{key}")
        rows.append({"key": key, "spec": spec, "override": override, "form": form})
    return rows


def _curation_form(product: Product, data: Any = None) -> ProductCurationForm:
    """The product's curation form, starting from what is saved."""
    initial = {
        "published": product.published, "kind": product.kind,
        "default_version": product.default_version_id, "hide_deprecated": product.hide_deprecated,
        "visible_to_groups": list(product.visible_to_groups.all()),
        "visible_to_projects": list(product.visible_to_projects.all()),
        "lease_default_days": product.lease_default_days,
        "lease_max_days": product.lease_max_days,
    }
    return ProductCurationForm(data, initial=initial, product=product)


def _admin_page(request: HttpRequest, product: Product, *, form: ProductCurationForm,
                rows: list[dict[str, Any]], failed_key: str = "",
                status: int = 200) -> HttpResponse:
    return render(request, "catalog/admin_product_detail.html",
                  {"product": product, "form": form, "rows": rows, "failed_key": failed_key,
                   "flags": product_flags(product=product)},
                  status=status)


@login_required
@require_http_methods(["GET", "POST"])
def admin_product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    product = product_for_admin(user=user, pk=pk)
    form = _curation_form(product, request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                product_update(
                    product=product, actor=user, request=request,
                    published=form.cleaned_data["published"], kind=form.cleaned_data["kind"],
                    default_version=form.cleaned_data["default_version"],
                    hide_deprecated=form.cleaned_data["hide_deprecated"],
                    visible_to_groups=form.cleaned_data["visible_to_groups"],
                    visible_to_projects=form.cleaned_data["visible_to_projects"],
                    output_mapping=form.output_mapping(),
                    idle_parameters=form.idle_parameters(),
                    lease_default_days=form.cleaned_data["lease_default_days"],
                    lease_max_days=form.cleaned_data["lease_max_days"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, "Product saved.")
                return redirect("catalog:admin_product_detail", pk=product.pk)
        status = 400
    return _admin_page(request, product, form=form, rows=_override_forms(product), status=status)


@login_required
@require_POST
def admin_parameter_override(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    user = _admin(request)
    product = product_for_admin(user=user, pk=pk)
    rows = {row["key"]: row for row in _override_forms(product, data=request.POST,
                                                          bound_key=key)}
    row = rows.get(key)
    if row is None:
        messages.error(request, f"The product has no parameter {key}.")
        return redirect("catalog:admin_product_detail", pk=product.pk)
    form: ParameterOverrideForm = row["form"]
    if request.POST.get("clear"):
        parameter_override_clear(product=product, key=key, actor=user, request=request)
        messages.success(request, f"{key} follows the AWS spec again.")
        return redirect("catalog:admin_product_detail", pk=product.pk)
    if form.is_valid():
        data = form.cleaned_data
        try:
            parameter_override_set(
                product=product, key=key, actor=user, request=request,
                hidden=data["hidden"], fixed_value=data["fixed_value"],
                default=data["default"] or None, label=data["label"], help_text=data["help_text"],
                allowed_values=list(data["allowed_values"]) if data["narrow"] else None,
                on_change=data["on_change"] or "",
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Parameter {key} saved.")
            return redirect("catalog:admin_product_detail", pk=product.pk)
    # The page as saved, with the one refused form bound and its error (each form posts to its
    # own URL, so every other Save on this page still works).
    return _admin_page(request, product, form=_curation_form(product), rows=list(rows.values()),
                       failed_key=key, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def admin_prices(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    form = InstancePriceForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                instance_price_set(actor=user, request=request, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Price saved.")
                return redirect("catalog:admin_prices")
        status = 400
    return render(request, "catalog/admin_prices.html",
                  {"form": form, "prices": InstancePrice.objects.all(),
                   "storage_prices": StoragePrice.objects.all()}, status=status)
